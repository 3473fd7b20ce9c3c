namespace MptcpActors.Actors.Configuration;

/// <summary>The backend an interface sends and receives frames through.</summary>
public enum InterfaceTransport
{
    /// <summary>An AF_PACKET socket on a Linux interface the kernel has no address on.</summary>
    Raw,

    /// <summary>The embedded simulated network.</summary>
    Sim,

    /// <summary>A TUN device.</summary>
    Tun,
}
