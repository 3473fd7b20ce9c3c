namespace MptcpActors.Actors.Configuration;

/// <summary>Per-connection limits of the in-engine path manager (<c>ip mptcp limits</c>).</summary>
public sealed record PathManagerLimits(int Subflows, int AddAddrAccepted)
{
    /// <summary>Linux's MPTCP_PM_ADDR_MAX, the cap <c>ip mptcp limits</c> enforces on both values.</summary>
    public const int LinuxMaximum = 8;

    internal static PathManagerLimits Read(ConfigReader r)
    {
        var limits = new PathManagerLimits(
            Subflows: r.Int("subflows", 0, LinuxMaximum, maxName: "Linux's maximum"),
            AddAddrAccepted: r.Int("add-addr-accepted", 0, LinuxMaximum, maxName: "Linux's maximum"));
        r.RejectUnknownKeys();
        return limits;
    }
}
