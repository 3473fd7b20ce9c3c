namespace MptcpActors.Actors.Mptcp.Scheduling;

/// <summary>
/// What a scheduler sees of one subflow when it places the next chunk of data.
/// </summary>
/// <param name="SrttNs">Smoothed RTT; 0 until the subflow has an RTT sample.</param>
/// <param name="CongestionWindow">In bytes.</param>
/// <param name="SendSpace">Bytes the subflow accepts right now (its free cwnd room plus a small queue); 0 = full.</param>
/// <param name="Backup">MP_JOIN / MP_PRIO backup flag (RFC 8684 3.3.8): carries data only when nothing else can.</param>
/// <param name="Stale">Data-level retransmission intervals without an ACK (net.mptcp.stale_loss_cnt): treated as gone until it hears from its peer.</param>
/// <param name="RtoNs">Its retransmission timeout now, backoff included: the data level looks for progress about that often.</param>
/// <param name="Unacknowledged">Bytes it holds that its peer has not acknowledged, sent or not (Linux: its rtx and write queues).</param>
/// <param name="LastAckNs">When its last ACK arrived, while it holds unacknowledged data (Linux: rcv_tstamp); 0 when it holds none.</param>
/// <param name="Handed">
/// Bytes of connection data it had been handed when it made this report (taken or refused), counted from its start: what
/// the connection handed it beyond that was still on its way (in its mailbox, or across the cluster link), so the report
/// does not show it.
/// </param>
public readonly record struct SubflowView(
    int Id, long SrttNs, long CongestionWindow, long BytesInFlight, long SendSpace, int Mss, bool Backup, bool Stale, bool Established,
    long RtoNs = 0, long Unacknowledged = 0, long LastAckNs = 0, long Handed = 0)
{
    public bool Usable => Established && !Stale;

    /// <summary>
    /// Whether data goes to backup subflows: only when no usable non-backup subflow exists, full or not (a full
    /// regular subflow is waited for rather than spilled onto a backup, as Linux's mptcp_subflow_get_send does).
    /// </summary>
    public static bool BackupsCarry(ReadOnlySpan<SubflowView> subflows)
    {
        foreach (var s in subflows)
            if (s.Usable && !s.Backup) return false;
        return true;
    }

    /// <summary>May carry data now, given <see cref="BackupsCarry"/>'s answer for the whole set.</summary>
    public bool Eligible(bool backupsCarry) => Usable && Backup == backupsCarry;
}
