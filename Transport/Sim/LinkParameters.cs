namespace MptcpActors.Transport.Sim;

/// <summary>How the random part of a link's delay is drawn.</summary>
public enum JitterDistribution
{
    /// <summary>Uniform in [-Jitter, +Jitter].</summary>
    Uniform,
    /// <summary>Normal with standard deviation Jitter.</summary>
    Normal,
}

/// <summary>
/// What one direction of a <see cref="SimLink"/> does to frames. Immutable: change a link by giving it new
/// parameters (<c>link.AToB.Parameters = p with { LossProbability = 0.01 }</c>), now or at a scheduled time.
/// Durations are TimeSpans (100 ns resolution) for readability; the link works in nanoseconds.
/// </summary>
/// <param name="RateBps">Bits per second; 0 is infinite (no serialization delay, so no queue ever builds).</param>
/// <param name="Delay">Propagation delay, added after serialization.</param>
/// <param name="Jitter">Random extra delay (see <see cref="JitterDistribution"/>). Frames still arrive in the order
/// they were sent: a frame's arrival is clamped to be no earlier than the previous frame's, unless it was picked for
/// reordering.</param>
/// <param name="QueueLimitPackets">Frames that may wait behind the one being serialized (drop-tail); null is unlimited.</param>
/// <param name="QueueLimitBytes">Bytes that may wait behind the one being serialized (drop-tail); null is unlimited.</param>
/// <param name="LossProbability">Chance that a frame is lost on the wire (it still takes its serialization time).</param>
/// <param name="ReorderProbability">Chance that a frame is held back by <paramref name="ReorderDelay"/> beyond its
/// normal arrival, so that later frames overtake it.</param>
/// <param name="ReorderDelay">Extra delay of a reordered frame; null is 1 ms.</param>
public sealed record LinkParameters(
    double RateBps = 0,
    TimeSpan Delay = default,
    TimeSpan Jitter = default,
    JitterDistribution JitterDistribution = JitterDistribution.Uniform,
    int? QueueLimitPackets = null,
    long? QueueLimitBytes = null,
    double LossProbability = 0,
    double ReorderProbability = 0,
    TimeSpan? ReorderDelay = null)
{
    public static readonly TimeSpan DefaultReorderDelay = TimeSpan.FromMilliseconds(1);

    /// <summary>An ideal link: infinite rate, no delay, no loss.</summary>
    public static LinkParameters Ideal { get; } = new();

    /// <summary>Bytes added to every frame when computing its serialization time (e.g. 24 for Ethernet's preamble, FCS and inter-frame gap); 0 by default.</summary>
    public int PerFrameOverheadBytes { get; init; }

    internal long DelayNs => SimTime.FromTimeSpan(Delay);
    internal long JitterNs => SimTime.FromTimeSpan(Jitter);
    internal long ReorderDelayNs => SimTime.FromTimeSpan(ReorderDelay ?? DefaultReorderDelay);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public LinkParameters Validate()
    {
        if (!(RateBps >= 0) || double.IsInfinity(RateBps)) throw new ArgumentException($"RateBps must be a finite number >= 0, not {RateBps}");
        if (Delay < TimeSpan.Zero) throw new ArgumentException($"Delay must be >= 0, not {Delay}");
        if (Jitter < TimeSpan.Zero) throw new ArgumentException($"Jitter must be >= 0, not {Jitter}");
        if (QueueLimitPackets < 0) throw new ArgumentException($"QueueLimitPackets must be >= 0, not {QueueLimitPackets}");
        if (QueueLimitBytes < 0) throw new ArgumentException($"QueueLimitBytes must be >= 0, not {QueueLimitBytes}");
        if (!(LossProbability is >= 0 and <= 1)) throw new ArgumentException($"LossProbability must be in [0, 1], not {LossProbability}");
        if (!(ReorderProbability is >= 0 and <= 1)) throw new ArgumentException($"ReorderProbability must be in [0, 1], not {ReorderProbability}");
        if (ReorderDelay < TimeSpan.Zero) throw new ArgumentException($"ReorderDelay must be >= 0, not {ReorderDelay}");
        if (PerFrameOverheadBytes < 0) throw new ArgumentException($"PerFrameOverheadBytes must be >= 0, not {PerFrameOverheadBytes}");
        if (!Enum.IsDefined(JitterDistribution)) throw new ArgumentException($"unknown JitterDistribution {JitterDistribution}");
        return this;
    }

    /// <summary>Serialization time of a frame of <paramref name="frameBytes"/> bytes, in (fractional) nanoseconds.</summary>
    public double SerializationNs(int frameBytes) => RateBps == 0 ? 0 : (frameBytes + PerFrameOverheadBytes) * 8e9 / RateBps;
}
