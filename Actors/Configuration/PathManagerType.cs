namespace MptcpActors.Actors.Configuration;

/// <summary>Who manages paths (<c>mptcp.path-manager.type</c>, Linux's <c>net.mptcp.pm_type</c>).</summary>
public enum PathManagerType
{
    /// <summary>The built-in policy driven by endpoints and limits, like Linux's in-kernel PM.</summary>
    InEngine,

    /// <summary>An external controller sends commands and receives events, like Linux's netlink userspace PM.</summary>
    Userspace,
}
