namespace MptcpActors.Transport.Sim;

/// <summary>
/// Handle to one scheduled event, returned by <see cref="EventScheduler.Schedule(long, Action)"/>. A struct so that
/// scheduling allocates nothing; <c>default</c> is a handle to nothing. Cancelling is O(1): the event is marked and
/// skipped when its time comes (the scheduler compacts its queue when cancelled events pile up).
/// </summary>
public readonly struct ScheduledEvent : IEquatable<ScheduledEvent>
{
    private readonly EventScheduler? _scheduler;
    private readonly EventNode? _node;
    private readonly long _sequence;

    internal ScheduledEvent(EventScheduler scheduler, EventNode node)
    {
        _scheduler = scheduler;
        _node = node;
        _sequence = node.Sequence;
        TimeNs = node.TimeNs;
    }

    /// <summary>When the event is (or was) due, in virtual nanoseconds.</summary>
    public long TimeNs { get; }

    /// <summary>True until the event runs or is cancelled.</summary>
    public bool IsPending => _node is { } n && n.Sequence == _sequence && n.InHeap && !n.Cancelled;

    /// <summary>Cancels the event if it has not run yet; returns whether it was pending.</summary>
    public bool Cancel() => IsPending && _scheduler!.Cancel(_node!);

    public bool Equals(ScheduledEvent other) => ReferenceEquals(_node, other._node) && _sequence == other._sequence;
    public override bool Equals(object? obj) => obj is ScheduledEvent other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(_node, _sequence);
    public static bool operator ==(ScheduledEvent left, ScheduledEvent right) => left.Equals(right);
    public static bool operator !=(ScheduledEvent left, ScheduledEvent right) => !left.Equals(right);
}
