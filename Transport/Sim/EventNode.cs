namespace MptcpActors.Transport.Sim;

/// <summary>
/// One scheduled callback. Nodes are pooled by the scheduler and reused: a handle remembers the node's
/// <see cref="Sequence"/>, which is unique per scheduling, so a handle to an event that already ran (and whose node
/// now carries another event) can tell and does nothing.
/// </summary>
internal sealed class EventNode
{
    public long TimeNs;
    public long Sequence;
    public Action? Action;
    public Action<object?>? StateAction;
    public object? State;
    public bool InHeap;
    public bool Cancelled;
    /// <summary>The lane it was scheduled in, whose next node goes into the heap when this one leaves it.</summary>
    public EventLane? Lane;

    public void Clear()
    {
        Lane = null;
        Action = null;
        StateAction = null;
        State = null;
    }
}
