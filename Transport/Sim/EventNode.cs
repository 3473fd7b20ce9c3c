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

    public void Clear()
    {
        Action = null;
        StateAction = null;
        State = null;
    }
}
