using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Tests.Tcp.Congestion;

/// <summary>
/// A deterministic ACK-clocked sender for driving congestion control without a network: in each round the whole
/// window is in flight and its ACKs come back evenly spread over one RTT, each acknowledging
/// <c>segmentsPerAck</c> segments (the last may be partial). The sender refills the window as ACKs arrive, so the bytes
/// in flight after each ACK are the window less what that ACK acknowledged.
/// </summary>
internal sealed class AckClock(long rttNs, int mss = AckClock.Mss, int segmentsPerAck = 1)
{
    public const int Mss = 1460;
    public const long Ms = 1_000_000;

    public long NowNs { get; set; }
    public long RttNs { get; set; } = rttNs;
    public int SegmentsPerAck { get; set; } = segmentsPerAck;
    public bool ApplicationLimited { get; set; }
    public bool InRecovery { get; set; }
    public int MssBytes { get; } = mss;

    /// <summary>One RTT of ACKs for the window the algorithm has at the start of the round; returns the bytes acknowledged.</summary>
    public long Round(ICongestionControl cc)
    {
        var window = cc.CongestionWindow;
        var perAck = (long)MssBytes * SegmentsPerAck;
        var acks = (window + perAck - 1) / perAck;
        var start = NowNs;
        var left = window;
        for (long i = 0; i < acks; i++)
        {
            var bytes = Math.Min(perAck, left);
            left -= bytes;
            var now = start + RttNs * (i + 1) / acks;
            cc.OnAck(new AckSample(now, bytes, Math.Max(0, cc.CongestionWindow - bytes), RttNs, RttNs, MssBytes, InRecovery,
                ApplicationLimited));
        }
        NowNs = start + RttNs;
        return window;
    }

    /// <summary>One ACK of <paramref name="bytes"/> at the current time, the clock then advanced by <paramref name="advanceNs"/>.</summary>
    public void Ack(ICongestionControl cc, long bytes, long advanceNs = 0, long rttNs = -2)
    {
        cc.OnAck(new AckSample(NowNs, bytes, Math.Max(0, cc.CongestionWindow - bytes), rttNs == -2 ? RttNs : rttNs, RttNs, MssBytes,
            InRecovery, ApplicationLimited));
        NowNs += advanceNs;
    }

    /// <summary>A loss detected with the whole window in flight, one RTT of recovery (partial ACKs), then recovery exit.</summary>
    public void LossAndRecovery(ICongestionControl cc)
    {
        cc.OnLossDetected(NowNs, cc.CongestionWindow);
        InRecovery = true;
        Round(cc);
        InRecovery = false;
        cc.OnRecoveryExit(NowNs);
    }
}

/// <summary>A fixed subflow view for checking the coupled formulas by hand.</summary>
internal sealed class FixedView(long cwnd, long srttNs, long bytesSinceLastLoss = 0, long bytesBetweenLastTwoLosses = 0, int mss = AckClock.Mss)
    : ISubflowLossHistory
{
    public long CongestionWindow { get; set; } = cwnd;
    public long SmoothedRttNs { get; set; } = srttNs;
    public int Mss { get; } = mss;
    public long BytesSinceLastLoss { get; set; } = bytesSinceLastLoss;
    public long BytesBetweenLastTwoLosses { get; set; } = bytesBetweenLastTwoLosses;
}
