namespace MptcpActors.Actors.Tcp;

/// <summary>One segment in flight: what RTT sampling (Karn), the SACK scoreboard and RFC 6675 loss recovery need.</summary>
public struct SentSegment
{
    public uint Seq;
    public int Length;
    public long SentNs;
    /// <summary>Sent more than once: its ACK gives no RTT sample (Karn's algorithm).</summary>
    public bool Retransmitted;
    /// <summary>Retransmitted during the current recovery episode (RFC 6675 NextSeg rule 1 skips it).</summary>
    public bool RetransmittedInRecovery;
    public bool Sacked;
    public bool Lost;
    public bool Fin;
    public readonly uint End => Seq + (uint)Length + (Fin ? 1u : 0u);

    /// <summary>This segment's share of RFC 6675's pipe: once if in flight, once more if retransmitted in this recovery.</summary>
    public readonly long PipeShare => Sacked ? 0 : (Lost ? 0 : Math.Max(1, Length)) + (RetransmittedInRecovery ? Math.Max(1, Length) : 0);
}
