namespace MptcpActors.Transport.Sim;

/// <summary>What a <see cref="FaultRule"/> does to a frame it fires on.</summary>
public enum FaultKind
{
    /// <summary>The frame goes no further.</summary>
    Drop,
    /// <summary>One byte is XORed with a random non-zero value (so it always changes).</summary>
    Corrupt,
    /// <summary>Extra copies are passed on right after the frame.</summary>
    Duplicate,
    /// <summary>The frame (and its copies) is passed on later.</summary>
    Delay,
}

/// <summary>
/// One fault of a <see cref="FaultInjector"/>. For each frame going the rule's way and matching its filter (matched
/// against the frame as it entered the injector), the rule skips the first <see cref="Skip"/> matches, then fires
/// with <see cref="Probability"/> until it has fired <see cref="Limit"/> times. Probability 1 draws no random number,
/// so "drop the 3rd SYN" is <c>new FaultRule(FaultKind.Drop) { Match = IsSyn, Skip = 2, Limit = 1 }</c>, exactly.
/// </summary>
public sealed class FaultRule
{
    private double _probability;

    public FaultRule(FaultKind kind, double probability = 1)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        Kind = kind;
        Probability = probability;
    }

    public FaultKind Kind { get; }

    /// <summary>Chance in [0, 1] that the rule fires on an eligible frame; may be changed while running.</summary>
    public double Probability
    {
        get => _probability;
        set => _probability = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "a probability is in [0, 1]");
    }

    /// <summary>Only frames this selects (null: all).</summary>
    public FrameFilter? Match { get; init; }

    public FrameDirections Directions { get; init; } = FrameDirections.Both;

    /// <summary>Matching frames to let through untouched before the rule may fire.</summary>
    public long Skip { get; init; }

    /// <summary>Most times the rule fires.</summary>
    public long Limit { get; init; } = long.MaxValue;

    /// <summary><see cref="FaultKind.Delay"/>: how much later.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary><see cref="FaultKind.Duplicate"/>: extra copies.</summary>
    public int Copies { get; init; } = 1;

    /// <summary><see cref="FaultKind.Corrupt"/>: the byte to change (clamped to the frame); null picks one at random from <see cref="MinCorruptOffset"/> on.</summary>
    public int? CorruptOffset { get; init; }

    /// <summary><see cref="FaultKind.Corrupt"/>: lowest offset a random pick may hit; 14 skips the Ethernet header so the frame still reaches its host and the damage is for IP/TCP checksums to find.</summary>
    public int MinCorruptOffset { get; init; } = 14;

    public bool Enabled { get; set; } = true;

    /// <summary>Frames that went the rule's way and matched (skipped ones included).</summary>
    public long Matched { get; internal set; }

    public long Fired { get; internal set; }

    internal long DelayNs => SimTime.FromTimeSpan(Delay);

    public override string ToString() => $"{Kind} p={Probability} ({Directions}, skip {Skip}, limit {Limit}): matched {Matched}, fired {Fired}";
}
