using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// Moves the calling thread into a named network namespace (<c>ip netns add NAME</c>, /run/netns/NAME) with setns(2):
/// sockets it opens afterwards (an <see cref="AfPacketDevice"/>'s) live there, whatever thread uses them later.
/// </summary>
public static partial class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;
    private const int ReadOnlyCloseOnExec = 0x80000;

    public static void Enter(string name)
    {
        var fd = open($"/run/netns/{name}", ReadOnlyCloseOnExec);
        if (fd < 0) throw new InvalidOperationException($"open /run/netns/{name}: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            if (setns(fd, CloneNewNet) != 0) throw new InvalidOperationException($"setns {name}: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
