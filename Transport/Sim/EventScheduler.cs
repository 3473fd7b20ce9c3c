using MptcpActors.Transport.Devices;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// Discrete-event loop of one simulation: a virtual clock and a priority queue of callbacks ordered by
/// (time, scheduling order). Running an event moves the clock to its time; equal times run first-scheduled first.
/// Single-threaded by design (everything in a simulation runs inside its events), and deterministic: the only
/// randomness is <see cref="Random"/> and the streams from <see cref="CreateRandom"/>, all derived from the seed.
/// Steady state allocates nothing: event nodes are pooled and handles are structs; pass a cached delegate with
/// <see cref="Schedule(long, Action{object?}, object?)"/> on hot paths instead of a capturing lambda.
/// </summary>
public sealed class EventScheduler : IDeviceTimer
{
    // Cancelled events stay in the heap until popped; past this many (and half the heap) they are swept out, so a
    // timer that is re-armed on every ACK cannot grow the heap without bound.
    private const int CompactionThreshold = 1024;

    private readonly EventHeap _heap = new();
    private readonly Stack<EventNode> _pool = new();
    private long _nextSequence;
    private int _cancelledInHeap;
    private int _waitingInLanes;
    private bool _stopRequested;

    public EventScheduler(ulong seed = 1)
    {
        Seed = seed;
        Random = SimRandom.Create(seed, "scheduler");
    }

    public SimulationClock Clock { get; } = new();

    /// <summary>Current virtual time in nanoseconds.</summary>
    public long NowNs => Clock.NowNs;

    public ulong Seed { get; }

    /// <summary>The simulation's own random stream (for code that has no stream of its own).</summary>
    public SimRandom Random { get; }

    /// <summary>
    /// An independent random stream named <paramref name="stream"/>, derived from the seed and the name only, so a
    /// component's draws do not shift when another component is added or draws more.
    /// </summary>
    public SimRandom CreateRandom(string stream) => SimRandom.Create(Seed, stream);

    /// <summary>Frame buffers shared by every link of this simulation (all of it runs on one thread).</summary>
    internal SimFramePool FramePool { get; } = new();

    /// <summary>
    /// Returns the frame buffers kept for reuse to <see cref="System.Buffers.ArrayPool{T}.Shared"/> and drops the pooled
    /// event nodes: call after a run to give the memory back (the next run warms up again).
    /// </summary>
    public void TrimPools()
    {
        FramePool.Trim();
        _pool.Clear();
    }

    /// <summary>Events scheduled and neither run nor cancelled.</summary>
    public int PendingCount => _heap.Count - _cancelledInHeap + _waitingInLanes;

    /// <summary>Events run since the start.</summary>
    public long ExecutedCount { get; private set; }

    public ScheduledEvent Schedule(long atNs, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var node = Rent(atNs);
        node.Action = callback;
        return Push(node);
    }

    /// <summary>Schedules <paramref name="callback"/>(<paramref name="state"/>): with a cached delegate this allocates nothing.</summary>
    public ScheduledEvent Schedule(long atNs, Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var node = Rent(atNs);
        node.StateAction = callback;
        node.State = state;
        return Push(node);
    }

    /// <summary>
    /// Schedules <paramref name="callback"/>(<paramref name="state"/>) in <paramref name="lane"/>, no earlier than what
    /// was last scheduled there. Not cancellable: for events that always run (a frame's arrival, which checks then
    /// whether it still may).
    /// </summary>
    public void Schedule(EventLane lane, long atNs, Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (atNs < lane.LastTimeNs)
            throw new ArgumentOutOfRangeException(nameof(atNs), $"{SimTime.Format(atNs)} is before the lane's last event ({SimTime.Format(lane.LastTimeNs)})");
        var node = Rent(atNs);
        node.StateAction = callback;
        node.State = state;
        node.Lane = lane;
        lane.LastTimeNs = atNs;
        if (lane.Head is null)
        {
            lane.Head = node;
            Push(node);
        }
        else
        {
            lane.Waiting.Enqueue(node);
            _waitingInLanes++;
        }
    }

    public ScheduledEvent ScheduleAfter(long delayNs, Action callback) => Schedule(After(delayNs), callback);

    public ScheduledEvent ScheduleAfter(long delayNs, Action<object?> callback, object? state) => Schedule(After(delayNs), callback, state);

    void IDeviceTimer.ScheduleAt(long atNs, Action<object?> callback, object? state) => Schedule(Math.Max(atNs, NowNs), callback, state);

    /// <summary>Time of the next pending event, if any.</summary>
    public bool TryPeekNextTime(out long timeNs)
    {
        SkipCancelledAtTop();
        if (_heap.Count == 0)
        {
            timeNs = 0;
            return false;
        }
        timeNs = _heap.PeekTime;
        return true;
    }

    /// <summary>Runs the next pending event (moving the clock to its time); false when there is none.</summary>
    public bool Step()
    {
        SkipCancelledAtTop();
        if (_heap.Count == 0) return false;
        RunTop();
        return true;
    }

    /// <summary>Runs every event due at or before <paramref name="untilNs"/>, then sets the clock to it.</summary>
    public void RunUntil(long untilNs)
    {
        if (untilNs < NowNs) throw new ArgumentOutOfRangeException(nameof(untilNs), $"{SimTime.Format(untilNs)} is before now ({SimTime.Format(NowNs)})");
        _stopRequested = false;
        while (!_stopRequested && TryPeekNextTime(out var t) && t <= untilNs) RunTop();
        if (!_stopRequested) Clock.NowNs = untilNs;
    }

    public void RunFor(long durationNs) => RunUntil(checked(NowNs + durationNs));

    /// <summary>
    /// Runs events until none is left or the next one is after <paramref name="maxNs"/> (then the clock is set to
    /// <paramref name="maxNs"/>). Returns true when the queue ran dry (the clock then stays at the last event's time).
    /// </summary>
    public bool RunUntilIdle(long maxNs = long.MaxValue)
    {
        _stopRequested = false;
        while (!_stopRequested)
        {
            if (!TryPeekNextTime(out var t)) return true;
            if (t > maxNs)
            {
                Clock.NowNs = Math.Max(NowNs, maxNs);
                return false;
            }
            RunTop();
        }
        return PendingCount == 0;
    }

    /// <summary>Makes the running <see cref="RunUntil"/> / <see cref="RunUntilIdle"/> return after the current event.</summary>
    public void Stop() => _stopRequested = true;

    internal bool Cancel(EventNode node)
    {
        node.Cancelled = true;
        node.Clear(); // let the callback's captures go now, not when the dead node reaches the top
        _cancelledInHeap++;
        if (_cancelledInHeap > CompactionThreshold && _cancelledInHeap > _heap.Count / 2)
            _cancelledInHeap -= _heap.RemoveCancelled(_pool);
        return true;
    }

    private long After(long delayNs)
    {
        if (delayNs < 0) throw new ArgumentOutOfRangeException(nameof(delayNs), delayNs, "a delay cannot be negative");
        return checked(NowNs + delayNs);
    }

    private EventNode Rent(long atNs)
    {
        // Scheduling into the past would make time run backwards for whoever reads the clock in that event.
        if (atNs < NowNs)
            throw new ArgumentOutOfRangeException(nameof(atNs), $"{SimTime.Format(atNs)} is before now ({SimTime.Format(NowNs)})");
        var node = _pool.Count > 0 ? _pool.Pop() : new EventNode();
        node.TimeNs = atNs;
        node.Sequence = _nextSequence++;
        node.Cancelled = false;
        return node;
    }

    private ScheduledEvent Push(EventNode node)
    {
        node.InHeap = true;
        _heap.Push(node);
        return new ScheduledEvent(this, node);
    }

    private void SkipCancelledAtTop()
    {
        while (_heap.Count > 0 && _heap.Peek().Cancelled)
        {
            _cancelledInHeap--;
            Recycle(_heap.Pop());
        }
    }

    private void RunTop()
    {
        var node = _heap.Pop();
        // Take what the node holds and recycle it before running: the callback may schedule (reusing this node) and a
        // handle to the running event must already read "not pending".
        var action = node.Action;
        var stateAction = node.StateAction;
        var state = node.State;
        Clock.NowNs = node.TimeNs;
        if (node.Lane is { } lane)
        {
            lane.Head = lane.Waiting.TryDequeue(out var next) ? next : null;
            if (next is not null)
            {
                _waitingInLanes--;
                Push(next);
            }
        }
        Recycle(node);
        ExecutedCount++;
        if (action is not null) action();
        else stateAction!(state);
    }

    private void Recycle(EventNode node)
    {
        node.InHeap = false;
        node.Clear();
        _pool.Push(node);
    }
}
