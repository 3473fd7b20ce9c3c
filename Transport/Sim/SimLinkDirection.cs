using MptcpActors.Transport.Wire;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// One direction of a <see cref="SimLink"/>: a transmitter that serializes frames one at a time at the direction's
/// rate, a drop-tail queue in front of it, and a wire with propagation delay, jitter, loss and reordering behind it.
/// <para>
/// A frame's arrival = start of its serialization + bytes·8/rate + delay (+ jitter, + the reorder delay if picked).
/// Serialization starts when the frame is sent if the transmitter is idle, else when the frames ahead of it are done;
/// fractions of nanoseconds are carried from frame to frame so that a long run keeps the exact rate.
/// Parameters apply to frames that start serializing after the change; frames already on the wire keep their times.
/// </para>
/// The queue counts frames waiting behind the one being serialized (as a qdisc backlog does), not that one.
/// </summary>
public sealed class SimLinkDirection
{
    // Cached so that scheduling a delivery or a transmitter wake-up allocates nothing.
    private static readonly Action<object?> DeliverCallback = static f => ((SimFrame)f!).Direction!.Deliver((SimFrame)f);
    private static readonly Action<object?> TransmitterFreeCallback = static d => ((SimLinkDirection)d!).OnTransmitterFree();

    private readonly EventScheduler _scheduler;
    private readonly SimFramePool _pool;
    private readonly SimRandom _random;
    private readonly Queue<SimFrame> _queue = new();
    private ISimLinkObserver[] _observers = [];
    private LinkParameters _parameters;
    private long _busyUntilNs;
    private double _carryNs;
    private long _lastArrivalNs;
    // Arrivals not held back for reordering come in time order (jitter never lets a frame overtake the one before it).
    private readonly EventLane _arrivals = new();
    private ScheduledEvent _transmitterFree;

    internal SimLinkDirection(SimLink link, SimPort from, SimPort to, LinkParameters parameters, SimRandom random)
    {
        Link = link;
        From = from;
        To = to;
        _scheduler = link.Scheduler;
        _pool = link.Scheduler.FramePool;
        _random = random;
        _parameters = parameters.Validate();
    }

    public SimLink Link { get; }
    public SimPort From { get; }
    public SimPort To { get; }
    public string Name => $"{From.Name}->{To.Name}";

    /// <summary>Read or replace at run time (see the class remarks for what a change affects).</summary>
    public LinkParameters Parameters
    {
        get => _parameters;
        set => _parameters = (value ?? throw new ArgumentNullException(nameof(value))).Validate();
    }

    /// <summary>While true, frames sent this way are dropped silently (frames already on the link still arrive).</summary>
    public bool IsBlackholed { get; set; }

    public LinkDirectionStats Stats { get; } = new();

    /// <summary>Frames waiting behind the one being serialized.</summary>
    public int QueuePackets => _queue.Count;

    /// <summary>Bytes waiting behind the frame being serialized.</summary>
    public long QueueBytes { get; private set; }

    /// <summary>True while a frame is being serialized.</summary>
    public bool IsTransmitting => _busyUntilNs > _scheduler.NowNs;

    public void AddObserver(ISimLinkObserver observer) => _observers = [.. _observers, observer];

    public void RemoveObserver(ISimLinkObserver observer) => _observers = _observers.Where(o => o != observer).ToArray();

    internal void Transmit(ReadOnlySpan<byte> frame)
    {
        var now = _scheduler.NowNs;
        Stats.FramesOffered++;
        Stats.BytesOffered += frame.Length;

        if (frame.Length < EthernetFrame.HeaderLength) { Drop(frame, DropReason.Malformed, now); return; }
        if (frame.Length - HeaderLength(frame) > From.Mtu) { Drop(frame, DropReason.TooBig, now); return; }
        if (!Link.IsUp) { Drop(frame, DropReason.LinkDown, now); return; }
        if (IsBlackholed) { Drop(frame, DropReason.Blackhole, now); return; }

        // A frame that finishes serializing at this very instant frees its place before this one arrives, whatever
        // the order of the events at this time.
        AdvanceTransmitter(now);
        if (_busyUntilNs <= now && _queue.Count == 0)
        {
            var f = _pool.Rent(frame);
            Stats.FramesAccepted++;
            for (var i = 0; i < _observers.Length; i++) _observers[i].FrameAccepted(this, frame, now);
            StartSerializing(f, now);
            return;
        }

        var p = _parameters;
        if (_queue.Count >= p.QueueLimitPackets || QueueBytes + frame.Length > p.QueueLimitBytes)
        {
            Drop(frame, DropReason.QueueFull, now);
            return;
        }
        var queued = _pool.Rent(frame);
        _queue.Enqueue(queued);
        QueueBytes += frame.Length;
        Stats.FramesAccepted++;
        if (_queue.Count > Stats.MaxQueuePackets) Stats.MaxQueuePackets = _queue.Count;
        if (QueueBytes > Stats.MaxQueueBytes) Stats.MaxQueueBytes = QueueBytes;
        for (var i = 0; i < _observers.Length; i++) _observers[i].FrameAccepted(this, frame, now);
        // The transmitter is busy; make sure it wakes up when the frame in service is done.
        if (!_transmitterFree.IsPending) _transmitterFree = _scheduler.Schedule(_busyUntilNs, TransmitterFreeCallback, this);
    }

    private void OnTransmitterFree()
    {
        _transmitterFree = default;
        AdvanceTransmitter(_scheduler.NowNs);
    }

    /// <summary>Starts every queued frame whose turn came by <paramref name="now"/>, each when the one before it ended.</summary>
    private void AdvanceTransmitter(long now)
    {
        if (_queue.Count == 0 || _busyUntilNs > now) return;
        _transmitterFree.Cancel(); // due now anyway; rescheduled below for the next frame
        while (_queue.Count > 0 && _busyUntilNs <= now)
        {
            var f = _queue.Dequeue();
            QueueBytes -= f.Length;
            for (var i = 0; i < _observers.Length; i++) _observers[i].FrameDequeued(this, f.Data, now);
            StartSerializing(f, _busyUntilNs);
        }
        if (_queue.Count > 0) _transmitterFree = _scheduler.Schedule(_busyUntilNs, TransmitterFreeCallback, this);
    }

    private void StartSerializing(SimFrame f, long startNs)
    {
        // startNs: the current time, or the instant the transmitter freed up when catching up on a queue.
        var p = _parameters;
        // Back-to-back frames keep the sub-nanosecond remainder so N frames take exactly N·size·8/rate; an idle
        // transmitter starts afresh.
        if (startNs > _busyUntilNs) _carryNs = 0;
        var exact = p.SerializationNs(f.Length) + _carryNs;
        var whole = (long)exact;
        _carryNs = exact - whole;
        var endNs = startNs + whole;
        _busyUntilNs = endNs;

        if (_random.Chance(p.LossProbability))
        {
            Drop(f.Data, DropReason.Loss, startNs);
            _pool.Return(f);
            return;
        }

        var arrival = endNs + p.DelayNs;
        var jitter = p.JitterNs;
        if (jitter > 0)
        {
            var offset = p.JitterDistribution == JitterDistribution.Normal
                ? _random.NextGaussian() * jitter
                : (_random.NextDouble() * 2 - 1) * jitter;
            arrival = Math.Max(endNs, arrival + (long)Math.Round(offset));
        }
        // Jitter alone never reorders: a frame arrives no earlier than the frame sent before it.
        arrival = Math.Max(arrival, _lastArrivalNs);
        f.Direction = this;
        f.Epoch = Link.DownEpoch;
        if (_random.Chance(p.ReorderProbability))
        {
            // Held back without moving _lastArrivalNs, so the frames after it may overtake it: out of the arrivals' lane.
            arrival += p.ReorderDelayNs;
            Stats.FramesReordered++;
            _scheduler.Schedule(arrival, DeliverCallback, f);
            return;
        }
        _lastArrivalNs = arrival;
        _scheduler.Schedule(_arrivals, arrival, DeliverCallback, f);
    }

    private void Deliver(SimFrame f)
    {
        var now = _scheduler.NowNs;
        try
        {
            if (f.Epoch != Link.DownEpoch) { Drop(f.Data, DropReason.LinkDown, now); return; }
            var receiver = To.Receiver;
            if (receiver is null) { Drop(f.Data, DropReason.NoReceiver, now); return; }
            Stats.FramesDelivered++;
            Stats.BytesDelivered += f.Length;
            for (var i = 0; i < _observers.Length; i++) _observers[i].FrameDelivered(this, f.Data, now);
            receiver.Receive(To, f.Data, now);
        }
        finally
        {
            _pool.Return(f);
        }
    }

    /// <summary>The link went down: the frame being serialized and everything queued is lost, the transmitter is free.</summary>
    internal void OnLinkDown()
    {
        var now = _scheduler.NowNs;
        _transmitterFree.Cancel();
        _transmitterFree = default;
        _busyUntilNs = Math.Min(_busyUntilNs, now);
        _carryNs = 0;
        while (_queue.Count > 0)
        {
            var f = _queue.Dequeue();
            QueueBytes -= f.Length;
            Drop(f.Data, DropReason.LinkDown, now);
            _pool.Return(f);
        }
    }

    private void Drop(ReadOnlySpan<byte> frame, DropReason reason, long now)
    {
        Stats.AddDrop(reason, frame.Length);
        for (var i = 0; i < _observers.Length; i++) _observers[i].FrameDropped(this, frame, reason, now);
    }

    // Ethernet header plus any 802.1Q / 802.1ad tags: the MTU limits what follows it.
    private static int HeaderLength(ReadOnlySpan<byte> frame) =>
        EthernetFrame.TryParse(frame, out var eth) ? frame.Length - eth.Payload.Length : EthernetFrame.HeaderLength;

    public override string ToString() => $"{Name}: {Stats}";
}
