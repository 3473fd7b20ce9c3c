namespace MptcpActors.Actors.Configuration;

/// <summary>Per-subflow congestion control (<c>mptcp.congestion-control</c>).</summary>
public enum CongestionControl
{
    Cubic,
    NewReno,

    /// <summary>Linked Increases (RFC 6356): coupled, fair to a single TCP flow at a shared bottleneck.</summary>
    Lia,

    /// <summary>Opportunistic LIA: coupled, and more responsive than LIA to path changes.</summary>
    Olia,
}
