using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// A system call on a raw (AF_PACKET) socket or an interface query failed. Carries the errno, the call that failed and
/// the interface it was about, and says in words the two failures a user can fix: no such interface, not root.
/// </summary>
public sealed class RawSocketException : IOException
{
    public RawSocketException(string operation, int errno, string? interfaceName, string? detail = null)
        : base(Describe(operation, errno, interfaceName, detail))
    {
        Operation = operation;
        Errno = errno;
        InterfaceName = interfaceName;
        HResult = errno;
    }

    /// <summary>The call that failed, e.g. <c>socket(AF_PACKET)</c> or <c>ioctl(SIOCGIFMTU)</c>.</summary>
    public string Operation { get; }

    /// <summary>The errno the kernel returned.</summary>
    public int Errno { get; }

    /// <summary>The interface the call was about, when there was one.</summary>
    public string? InterfaceName { get; }

    /// <summary>EPERM or EACCES: the process lacks CAP_NET_RAW (not root).</summary>
    public bool IsPermissionDenied => Errno is LibC.EPERM or LibC.EACCES;

    /// <summary>ENODEV or ENXIO: the interface does not exist (or no longer does).</summary>
    public bool IsNoSuchInterface => Errno is LibC.ENODEV or LibC.ENXIO;

    internal static RawSocketException FromErrno(string operation, string? interfaceName, string? detail = null) =>
        new(operation, LibC.Errno, interfaceName, detail);

    private static string Describe(string operation, int errno, string? interfaceName, string? detail)
    {
        var where = interfaceName is null ? operation : $"{operation} on interface '{interfaceName}'";
        var text = $"{where} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
        var hint = errno switch
        {
            LibC.EPERM or LibC.EACCES => "raw sockets need root or the CAP_NET_RAW capability",
            LibC.ENODEV or LibC.ENXIO => interfaceName is null ? null : $"there is no interface named '{interfaceName}' in this network namespace",
            _ => null,
        };
        if (hint is not null) text += ": " + hint;
        if (detail is not null) text += " (" + detail + ")";
        return text;
    }
}
