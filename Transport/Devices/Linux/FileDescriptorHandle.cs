using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// Owns a file descriptor. Users that pass the raw number to the kernel hold a reference (DangerousAddRef) for the
/// duration of the call, so Dispose never closes it under them and the number cannot be reused by another open meanwhile.
/// </summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int fd)
        : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => LibC.Close(Fd) == 0;
}
