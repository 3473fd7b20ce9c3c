namespace MptcpActors.Actors.Configuration;

/// <summary>
/// Flags of a path-manager endpoint. The values are Linux's <c>MPTCP_PM_ADDR_FLAG_*</c> bits, so they
/// pass unchanged through a netlink-shaped userspace PM API.
/// </summary>
[Flags]
public enum EndpointFlags
{
    None = 0,

    /// <summary>Announce the address to the peer (ADD_ADDR).</summary>
    Signal = 1 << 0,

    /// <summary>Open a subflow from this address.</summary>
    Subflow = 1 << 1,

    /// <summary>Subflows from it are used only when no non-backup subflow is usable (MP_PRIO / MP_JOIN B bit).</summary>
    Backup = 1 << 2,

    /// <summary>A subflow from it to every address the peer announced.</summary>
    Fullmesh = 1 << 3,
}
