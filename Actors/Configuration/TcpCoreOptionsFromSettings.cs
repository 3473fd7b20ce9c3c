using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Configuration;

public static class TcpCoreOptionsFromSettings
{
    /// <summary>The TCP core's options from the <c>mptcp.tcp</c> settings and the congestion control chosen.</summary>
    public static TcpCoreOptions TcpCoreOptions(this MptcpSettings s) => new()
    {
        Mss = s.Tcp.Mss,
        SendBufferSize = s.Tcp.SendBuffer,
        ReceiveBufferSize = s.Tcp.ReceiveBuffer,
        Nagle = s.Tcp.Nagle,
        DelayedAck = s.Tcp.DelayedAck > TimeSpan.Zero,
        DelayedAckNs = Math.Max(1, s.Tcp.DelayedAck.Ticks * 100),
        Sack = s.Tcp.Sack,
        Timestamps = s.Tcp.Timestamps,
        WindowScaling = s.Tcp.WindowScaling,
        InitialRtoNs = s.Tcp.InitialRto.Ticks * 100,
        MinRtoNs = s.Tcp.MinRto.Ticks * 100,
        MaxRtoNs = s.Tcp.MaxRto.Ticks * 100,
        SynRetries = s.Tcp.SynRetries,
        Keepalive = s.Tcp.Keepalive.Enabled,
        KeepaliveIdleNs = s.Tcp.Keepalive.Time.Ticks * 100,
        KeepaliveIntervalNs = s.Tcp.Keepalive.Interval.Ticks * 100,
        KeepaliveProbes = s.Tcp.Keepalive.Probes,
        CongestionControl = s.CongestionControl.ToKind(),
    };
}
