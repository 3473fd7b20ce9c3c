using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace MptcpActors.Actors.Sim;

/// <summary>
/// An Akka scheduler whose clock moves only when <see cref="AdvanceTo"/> says so: actor timers (RTO, delayed ACK,
/// pacing) fire in virtual time, and <see cref="HighResMonotonicClock"/> (like <see cref="MonotonicClock"/>) is that virtual time, which the actors' protocol
/// cores read as "now". Work due at the same time runs in the order it was scheduled, so a run is repeatable.
/// Selected by <c>akka.scheduler.implementation</c> (see <see cref="VirtualTimeDriver"/>).
/// </summary>
public sealed class VirtualTimeScheduler : IScheduler, IAdvancedScheduler
{
    private readonly object _gate = new();
    private readonly PriorityQueue<Item, (long Ticks, long Sequence)> _queue = new();
    private readonly DateTimeOffset _epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _sequence;
    private long _nowTicks;

    public VirtualTimeScheduler(Config config, ILoggingAdapter log)
    {
    }

    private sealed record Item(TimeSpan Interval, ICanTell? Receiver, object? Message, IActorRef? Sender, Action? Action, IRunnable? Runnable, ICancelable? Cancelable)
    {
        public bool Repeats => Interval > TimeSpan.Zero;
        public bool Cancelled => Cancelable?.IsCancellationRequested == true;

        public void Run()
        {
            if (Receiver is not null) Receiver.Tell(Message!, Sender ?? ActorRefs.NoSender);
            else if (Action is not null) Action();
            else Runnable!.Run();
        }
    }

    public TimeSpan Now => TimeSpan.FromTicks(Volatile.Read(ref _nowTicks));

    /// <summary>When the earliest pending work is due, or null when nothing is pending.</summary>
    public TimeSpan? NextDue
    {
        get
        {
            lock (_gate)
            {
                while (_queue.TryPeek(out var item, out var key))
                {
                    if (!item.Cancelled) return TimeSpan.FromTicks(key.Ticks);
                    _queue.Dequeue();
                }
                return null;
            }
        }
    }

    /// <summary>Moves the clock to <paramref name="time"/>, running (in due order) the work due by then; returns how much ran.</summary>
    public int AdvanceTo(TimeSpan time)
    {
        if (time < Now) throw new ArgumentOutOfRangeException(nameof(time), $"{time} is before now ({Now})");
        var ran = 0;
        while (true)
        {
            Item? due = null;
            lock (_gate)
            {
                if (_queue.TryPeek(out var item, out var key) && key.Ticks <= time.Ticks)
                {
                    _queue.Dequeue();
                    Volatile.Write(ref _nowTicks, key.Ticks);
                    due = item;
                }
            }
            if (due is null) break;
            if (due.Cancelled) continue;
            if (due.Repeats) Add(due.Interval, due);
            due.Run();
            ran++;
        }
        Volatile.Write(ref _nowTicks, time.Ticks);
        return ran;
    }

    private void Add(TimeSpan delay, Item item)
    {
        lock (_gate) _queue.Enqueue(item, (_nowTicks + Math.Max(0, delay.Ticks), _sequence++));
    }

    private void Tell(TimeSpan delay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable? cancelable) =>
        Add(delay, new Item(interval, receiver, message, sender, null, null, cancelable));

    private void Act(TimeSpan delay, TimeSpan interval, Action? action, IRunnable? runnable, ICancelable? cancelable) =>
        Add(delay, new Item(interval, null, null, null, action, runnable, cancelable));

    DateTimeOffset ITimeProvider.Now => _epoch + Now;
    public TimeSpan MonotonicClock => Now;
    public TimeSpan HighResMonotonicClock => Now;
    public IAdvancedScheduler Advanced => this;

    public void ScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender) => Tell(delay, TimeSpan.Zero, receiver, message, sender, null);
    public void ScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) => Tell(delay, TimeSpan.Zero, receiver, message, sender, cancelable);
    public void ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender) =>
        Tell(initialDelay, Positive(interval), receiver, message, sender, null);
    public void ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Tell(initialDelay, Positive(interval), receiver, message, sender, cancelable);
    public void ScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) => Act(delay, TimeSpan.Zero, action, null, cancelable);
    public void ScheduleOnce(TimeSpan delay, Action action) => Act(delay, TimeSpan.Zero, action, null, null);
    public void ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) => Act(initialDelay, Positive(interval), action, null, cancelable);
    public void ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action) => Act(initialDelay, Positive(interval), action, null, null);
    public void ScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) => Act(delay, TimeSpan.Zero, null, action, cancelable);
    public void ScheduleOnce(TimeSpan delay, IRunnable action) => Act(delay, TimeSpan.Zero, null, action, null);
    public void ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) => Act(initialDelay, Positive(interval), null, action, cancelable);
    public void ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action) => Act(initialDelay, Positive(interval), null, action, null);

    // A repeating interval of zero would fire forever at one instant.
    private static TimeSpan Positive(TimeSpan interval) => interval > TimeSpan.Zero ? interval : TimeSpan.FromTicks(1);
}
