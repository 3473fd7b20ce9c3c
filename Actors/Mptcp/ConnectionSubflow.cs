using MptcpActors.Actors.Mptcp.Scheduling;

namespace MptcpActors.Actors.Mptcp;

/// <summary>What a connection knows of one of its subflows: its last reported state and the data it was given that the peer has not acknowledged at data level.</summary>
internal sealed class ConnectionSubflow(int id)
{
    public int Id { get; } = id;
    public SubflowView View = new(id, 0, 0, 0, 0, 1400, false, false, false);
    /// <summary>Data-level ranges given to it, oldest first, until DATA_ACKed (reinjected elsewhere if it fails).</summary>
    public readonly Queue<(ulong Dsn, int Length)> Outstanding = new();
    /// <summary>Every byte handed to it, resent ones included (its report's <see cref="SubflowView.Handed"/> counts them as they arrive).</summary>
    public long BytesScheduled;
    /// <summary>Its last report said a retransmission timeout fired without progress since.</summary>
    public bool TimedOut;
    /// <summary>Redundant scheduling: the next DSN this subflow sends (each subflow walks the whole stream).</summary>
    public ulong RedundantNext;
    public long BytesReinjected;
    /// <summary>Data-level retransmission intervals in a row that found it holding data and hearing nothing (Linux: stale_count).</summary>
    public int StaleCount;
    /// <summary>Its <see cref="SubflowView.LastAckNs"/> when the count started: any other value means its peer answered since.</summary>
    public long StaleAckNs;
    /// <summary>Judged failed: it gets no data until its peer answers again (Linux: subflow->stale).</summary>
    public bool Stale;

    /// <summary>Established and not stale (Linux: mptcp_subflow_active).</summary>
    public bool Usable => View.Established && !Stale;
    /// <summary>
    /// Bytes handed to it that its last report did not know of yet. Reports cross messages on their way (a remote
    /// subflow's by a whole batch), so a report is not taken to cover what was handed before it was made.
    /// </summary>
    public long InTransit => Math.Max(0, BytesScheduled - View.Handed);
    /// <summary>It holds nothing its peer has not acknowledged, nor has any on its way to it (Linux: tcp_rtx_and_write_queues_empty).</summary>
    public bool Idle => View.Unacknowledged == 0 && InTransit == 0;
    /// <summary>It holds data and went two data-level retransmission intervals without an ACK: potentially failed.</summary>
    public bool Silent => StaleCount > 1 && !Idle;
    /// <summary>
    /// Can take over from a silent subflow: usable, neither silent nor in retransmission timeouts itself. (A subflow whose
    /// peer's window is closed is silent too, with no timeout: it must not hand its data to one that is dead.)
    /// </summary>
    public bool Answering => Usable && !Silent && !TimedOut;

    public SubflowView Current => View with { SendSpace = Math.Max(0, View.SendSpace - InTransit), Stale = Stale };

    /// <summary>It refused [dsn, dsn + length) of what it was handed (its send buffer was full): it does not carry that.</summary>
    public void Refused(ulong dsn, int length)
    {
        var end = dsn + (ulong)length;
        for (var n = Outstanding.Count; n > 0; n--)
        {
            var (from, size) = Outstanding.Dequeue();
            var to = from + (ulong)size;
            if ((long)(to - dsn) <= 0 || (long)(end - from) <= 0)
            {
                Outstanding.Enqueue((from, size));
                continue;
            }
            if ((long)(dsn - from) > 0) Outstanding.Enqueue((from, (int)(dsn - from)));
            if ((long)(to - end) > 0) Outstanding.Enqueue((end, (int)(to - end)));
        }
    }

    public void DropAcked(ulong dataUna)
    {
        while (Outstanding.TryPeek(out var r) && (long)(r.Dsn + (ulong)r.Length - dataUna) <= 0) Outstanding.Dequeue();
    }
}
