namespace MptcpActors.Transport.Sim;

/// <summary>
/// Events one caller schedules in time order (a link direction's frame arrivals): only the earliest waits in the
/// scheduler's heap, the rest in a FIFO behind it. The run is the same as with all of them in the heap, ordered by
/// (time, scheduling order), but the heap holds a node per lane instead of one per frame on the wire.
/// </summary>
public sealed class EventLane
{
    internal readonly Queue<EventNode> Waiting = new();
    internal EventNode? Head;
    internal long LastTimeNs = long.MinValue;
}
