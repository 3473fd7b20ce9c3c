using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tcp;

/// <summary>Where the core's segments go: the shell lends a buffer, the core writes a whole TCP segment into it.</summary>
public interface ITcpSegmentSink
{
    /// <summary>A buffer of at least <paramref name="maxLength"/> bytes for TCP header, options and payload.</summary>
    Span<byte> Rent(int maxLength);
    /// <summary>Sends the first <paramref name="length"/> bytes of the rented buffer (the sink adds checksum and IP header).</summary>
    void Send(int length);

    /// <summary>
    /// The longest TCP segment (header and payload) the sink takes for segmentation offload (GSO): a super-segment the
    /// device cuts into segments that each repeat its header and options. 0 when every segment must fit the MSS.
    /// </summary>
    int MaxOffloadSegmentLength => 0;

    /// <summary>
    /// Sends a super-segment of <paramref name="length"/> bytes from the rented buffer that leaves as segments of
    /// <paramref name="segmentSize"/> payload bytes (the last one shorter); only when <see cref="MaxOffloadSegmentLength"/> allows it.
    /// </summary>
    void Send(int length, int segmentSize) => throw new NotSupportedException("this sink does not segment");
}

/// <summary>What the core tells the layer above (the SubflowActor, or the MPTCP connection through it).</summary>
public interface ITcpEvents
{
    void OnEstablished();
    /// <summary>New in-order data is readable.</summary>
    void OnDataReadable();
    /// <summary>Data was acknowledged: send-buffer space opened (and write acks can be answered).</summary>
    void OnAcknowledged(long bytes);
    /// <summary>The peer sent FIN: no more data will arrive.</summary>
    void OnPeerClosed();
    /// <summary>The connection is gone; <paramref name="reason"/> says why.</summary>
    void OnClosed(TcpCloseReason reason);
}

/// <summary>
/// Context of a segment being built, for an option hook. <paramref name="SegmentSize"/> is non-zero for a super-segment
/// the device cuts into segments of that many payload bytes, each carrying the same options.
/// </summary>
public readonly record struct OutgoingSegmentInfo(uint Seq, uint Ack, TcpFlags Flags, int PayloadLength, bool Retransmission, int SegmentSize = 0);

/// <summary>Context of a received segment, for an option hook. <paramref name="Window"/> is in bytes (scaled).</summary>
public readonly record struct IncomingSegmentInfo(uint Seq, uint Ack, TcpFlags Flags, int PayloadLength, TcpState State, long Window = 0);

/// <summary>
/// Lets the layer above (MPTCP) put options on any outgoing segment and see those of every incoming one; the TCP core
/// knows nothing of what they mean.
/// </summary>
public interface ITcpOptionHook
{
    /// <summary>Bytes of options (a multiple of 4) the hook will add to this segment, so the core can size the payload.</summary>
    int OptionSpace(in OutgoingSegmentInfo segment);
    /// <summary>Writes at most <c>destination.Length</c> bytes of options (a multiple of 4); returns how many. <paramref name="payload"/> is the segment's data.</summary>
    int WriteOptions(Span<byte> destination, in OutgoingSegmentInfo segment, ReadOnlySpan<byte> payload);
    /// <summary>
    /// The options of a segment the core accepted (after sequence and PAWS checks). Returns true when the layer above
    /// needs an acknowledgement sent now even if TCP would not send one (e.g. to answer MPTCP's DATA_FIN with a DATA_ACK).
    /// </summary>
    bool OnOptions(ReadOnlySpan<byte> options, in IncomingSegmentInfo segment);
    /// <summary>Whether a SYN (or SYN/ACK) with these options may open this connection; refusing resets it.</summary>
    bool AcceptSyn(ReadOnlySpan<byte> options, bool synAck);
    /// <summary>
    /// How much of <paramref name="room"/> bytes of new data starting at <paramref name="seq"/> may go in one segment:
    /// MPTCP cuts segments where its data-sequence mappings end, since one DSS maps one contiguous range.
    /// </summary>
    int PayloadLimit(uint seq, int room) => room;
    /// <summary>
    /// Whether new data starting at <paramref name="seq"/> may leave as a super-segment the device cuts up (GSO), every
    /// piece repeating the options: not when an option there describes one segment only (MPTCP's MP_CAPABLE with data).
    /// </summary>
    bool AllowsSegmentation(uint seq) => true;
    /// <summary>
    /// The receive window to announce, given the one the subflow's own buffer allows: MPTCP announces the connection's
    /// window (RFC 8684 3.3.4), shared by all subflows and relative to the DATA_ACK on the same segment.
    /// </summary>
    long ReceiveWindowLimit(long window) => window;
}
