using System.Buffers;
using MptcpActors.Transport.Devices;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// Drops, corrupts, duplicates or delays frames going through the wrapped device, by <see cref="FaultRule"/>s tried in
/// the order they were added (a drop ends the list; corruptions, copies and delays add up). Randomness comes from
/// one seeded stream, so a run repeats exactly in the simulator. Delays need a timer (the simulation's scheduler).
/// The decision is made under a lock since on a real device frames go down and come up on different threads; frames
/// are passed on outside it.
/// </summary>
public sealed class FaultInjector : FrameDeviceDecorator
{
    private static readonly Action<object?> DelayedCallback = static s => ((DelayedFrame)s!).Fire();

    private readonly SimRandom _random;
    private readonly IDeviceTimer? _timer;
    private readonly object _gate = new();
    private FaultRule[] _rules = [];

    public FaultInjector(IFrameDevice inner, SimRandom random, IDeviceTimer? timer = null) : base(inner)
    {
        _random = random ?? throw new ArgumentNullException(nameof(random));
        _timer = timer;
    }

    public FaultInjector(IFrameDevice inner, ulong seed, IDeviceTimer? timer = null) : this(inner, new SimRandom(seed), timer)
    {
    }

    public IReadOnlyList<FaultRule> Rules => _rules;

    public long FramesSeen { get; private set; }
    public long FramesDropped { get; private set; }
    public long FramesCorrupted { get; private set; }
    /// <summary>Extra copies passed on.</summary>
    public long FramesDuplicated { get; private set; }
    public long FramesDelayed { get; private set; }

    public FaultRule Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Kind == FaultKind.Delay && _timer is null) throw new InvalidOperationException("a Delay rule needs the injector to have a timer");
        if (rule.Kind == FaultKind.Delay && rule.Delay < TimeSpan.Zero) throw new ArgumentException("a delay cannot be negative");
        if (rule.Kind == FaultKind.Duplicate && rule.Copies < 1) throw new ArgumentException("Copies must be at least 1");
        lock (_gate) _rules = [.. _rules, rule];
        return rule;
    }

    public bool Remove(FaultRule rule)
    {
        lock (_gate)
        {
            var before = _rules.Length;
            _rules = _rules.Where(r => r != rule).ToArray();
            return _rules.Length != before;
        }
    }

    public void Clear()
    {
        lock (_gate) _rules = [];
    }

    public FaultRule Drop(double probability, FrameFilter? match = null, FrameDirections directions = FrameDirections.Both) =>
        Add(new FaultRule(FaultKind.Drop, probability) { Match = match, Directions = directions });

    public FaultRule Corrupt(double probability, FrameFilter? match = null, FrameDirections directions = FrameDirections.Both) =>
        Add(new FaultRule(FaultKind.Corrupt, probability) { Match = match, Directions = directions });

    public FaultRule Duplicate(double probability, FrameFilter? match = null, FrameDirections directions = FrameDirections.Both) =>
        Add(new FaultRule(FaultKind.Duplicate, probability) { Match = match, Directions = directions });

    public FaultRule Delay(double probability, TimeSpan delay, FrameFilter? match = null, FrameDirections directions = FrameDirections.Both) =>
        Add(new FaultRule(FaultKind.Delay, probability) { Delay = delay, Match = match, Directions = directions });

    protected override void OnTransmit(ReadOnlySpan<byte> frame) => Process(frame, FrameDirections.Transmit, 0);

    /// <summary>Never: a delayed frame comes up later, outside the batch it arrived in.</summary>
    public override bool DeliversBatches => false;

    protected override void OnReceive(ReadOnlySpan<byte> frame, long timeNs) => Process(frame, FrameDirections.Receive, timeNs);

    private void Process(ReadOnlySpan<byte> frame, FrameDirections direction, long timeNs)
    {
        byte[]? corrupted = null;
        var copies = 1;
        long delayNs = 0;
        lock (_gate)
        {
            FramesSeen++;
            foreach (var rule in _rules)
            {
                if (!rule.Enabled || (rule.Directions & direction) == 0) continue;
                if (rule.Match is { } match && !match(frame)) continue;
                rule.Matched++;
                if (rule.Matched <= rule.Skip || rule.Fired >= rule.Limit || !_random.Chance(rule.Probability)) continue;
                rule.Fired++;
                switch (rule.Kind)
                {
                    case FaultKind.Drop:
                        FramesDropped++;
                        if (corrupted is not null) ArrayPool<byte>.Shared.Return(corrupted);
                        return;
                    case FaultKind.Corrupt:
                        if (frame.IsEmpty) break;
                        if (corrupted is null)
                        {
                            corrupted = ArrayPool<byte>.Shared.Rent(frame.Length);
                            frame.CopyTo(corrupted);
                        }
                        var offset = rule.CorruptOffset is { } fixedOffset
                            ? Math.Clamp(fixedOffset, 0, frame.Length - 1)
                            : rule.MinCorruptOffset < frame.Length ? _random.NextInt(rule.MinCorruptOffset, frame.Length) : _random.NextInt(frame.Length);
                        corrupted[offset] ^= (byte)_random.NextInt(1, 256);
                        FramesCorrupted++;
                        break;
                    case FaultKind.Duplicate:
                        copies += rule.Copies;
                        FramesDuplicated += rule.Copies;
                        break;
                    case FaultKind.Delay:
                        delayNs += rule.DelayNs;
                        break;
                }
            }
            if (delayNs > 0) FramesDelayed++;
        }

        var data = corrupted is null ? frame : corrupted.AsSpan(0, frame.Length);
        try
        {
            if (delayNs > 0)
            {
                var at = (direction == FrameDirections.Receive ? timeNs : _timer!.NowNs) + delayNs;
                _timer!.ScheduleAt(at, DelayedCallback, new DelayedFrame(this, data, direction, copies));
                return;
            }
            for (var i = 0; i < copies; i++) PassOn(data, direction, timeNs);
        }
        finally
        {
            if (corrupted is not null) ArrayPool<byte>.Shared.Return(corrupted);
        }
    }

    private void PassOn(ReadOnlySpan<byte> frame, FrameDirections direction, long timeNs)
    {
        if (direction == FrameDirections.Transmit) Inner.Transmit(frame);
        else Deliver(frame, timeNs);
    }

    // A frame held back by a Delay rule (a fault path: one small object per delayed frame is fine).
    private sealed class DelayedFrame
    {
        private readonly FaultInjector _owner;
        private readonly byte[] _buffer;
        private readonly int _length;
        private readonly FrameDirections _direction;
        private readonly int _copies;

        public DelayedFrame(FaultInjector owner, ReadOnlySpan<byte> frame, FrameDirections direction, int copies)
        {
            _owner = owner;
            _buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
            frame.CopyTo(_buffer);
            _length = frame.Length;
            _direction = direction;
            _copies = copies;
        }

        public void Fire()
        {
            try
            {
                var now = _owner._timer!.NowNs;
                for (var i = 0; i < _copies; i++) _owner.PassOn(_buffer.AsSpan(0, _length), _direction, now);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
        }
    }
}
