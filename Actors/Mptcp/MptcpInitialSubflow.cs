using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Mptcp;

public enum MptcpNegotiation
{
    /// <summary>MP_CAPABLE offered, no answer yet.</summary>
    Negotiating,
    /// <summary>Both sides speak MPTCP v1 on this connection.</summary>
    Mptcp,
    /// <summary>The peer did not (or a middlebox stripped the options): plain TCP, the stream unchanged (RFC 8684 3.7).</summary>
    Fallback,
}

/// <summary>
/// MPTCP v1 on a connection's initial subflow (RFC 8684 3.1, 3.3): the MP_CAPABLE handshake in either role, then DSS
/// on every segment — a 64-bit DATA_ACK, a mapping of the segment's payload into the data sequence space, DATA_FIN
/// with the subflow's FIN — and fallback to plain TCP when the peer does not answer in kind. It rides the TCP core
/// through <see cref="ITcpOptionHook"/>; the core knows nothing of MPTCP.
/// With one subflow the data stream and the subflow stream coincide, so deliveries need no reassembly here.
/// </summary>
public sealed class MptcpInitialSubflow : ITcpOptionHook
{
    private readonly bool _client;
    private readonly byte _flags;
    private uint _iss;
    private uint _irs;
    private bool _thirdAckSent;
    private bool _peerAckedData;
    private long _receivedData;
    private uint _lastAck;
    private long _ackedSubflowBytes;
    private bool _peerDataFin;
    private ulong _peerDataFinDsn;

    /// <param name="requestChecksum">Set the A bit (net.mptcp.checksum_enabled): DSS checksums are then used.</param>
    public MptcpInitialSubflow(bool client, ulong localKey, bool requestChecksum = false)
    {
        _client = client;
        _flags = (byte)(MpCapableOption.FlagHmacSha256 | (requestChecksum ? MpCapableOption.FlagChecksumRequired : 0));
        Checksums = requestChecksum;
        LocalKey = localKey;
        (LocalToken, LocalIdsn) = MptcpCrypto.TokenAndIdsn(localKey);
    }

    public MptcpNegotiation State { get; private set; } = MptcpNegotiation.Negotiating;
    public ulong LocalKey { get; }
    public uint LocalToken { get; }
    public ulong LocalIdsn { get; }
    public ulong? RemoteKey { get; private set; }
    public uint? RemoteToken => RemoteKey is { } k ? MptcpCrypto.Token(k) : null;
    public ulong RemoteIdsn { get; private set; }
    /// <summary>The peer closed the data stream (DATA_FIN received).</summary>
    public bool PeerDataFin => _peerDataFin;
    public long InvalidOptions { get; private set; }
    /// <summary>The peer closed the whole connection with MP_FASTCLOSE carrying our key.</summary>
    public bool FastClosed { get; private set; }
    /// <summary>The reason an MP_TCPRST from the peer gave, if any.</summary>
    public MpTcpRstReason? PeerResetReason { get; private set; }
    /// <summary>DSS checksums are in use: either side asked for them (RFC 8684 3.1, the A bit).</summary>
    public bool Checksums { get; private set; }

    public bool AcceptSyn(ReadOnlySpan<byte> options, bool synAck)
    {
        var capable = FindCapable(options);
        if (capable is not { Version: 1 } c)
        {
            State = MptcpNegotiation.Fallback;
            return true;
        }
        Checksums |= c.ChecksumRequired;
        if (synAck)
        {
            if (c.SenderKey is not { } key)
            {
                State = MptcpNegotiation.Fallback;
                return true;
            }
            SetRemoteKey(key);
            State = MptcpNegotiation.Mptcp;
        }
        return true;
    }

    public bool OnOptions(ReadOnlySpan<byte> options, in IncomingSegmentInfo segment)
    {
        var ackNow = false;
        if ((segment.Flags & TcpFlags.Syn) != 0)
        {
            _irs = segment.Seq;
            _lastAck = segment.Seq + 1;
        }
        if (State == MptcpNegotiation.Fallback) return false;
        var dataEnd = (long)(uint)(segment.Seq - _irs - 1) + segment.PayloadLength;
        if (segment.PayloadLength > 0 && dataEnd > _receivedData) _receivedData = dataEnd;
        var sawMptcp = false;
        foreach (var o in new TcpOptionReader(options))
        {
            if (o.Kind != TcpOptionKind.Mptcp || o.Raw.Length < 3) continue;
            switch (MptcpOptionHeader.SubtypeOf(o.Raw))
            {
                case MptcpSubtype.MpCapable when MpCapableOption.Read(o.Raw, out var c) == MptcpOptionError.None:
                    sawMptcp = true;
                    if (!_client && State == MptcpNegotiation.Negotiating && c.SenderKey is { } a && c.ReceiverKey == LocalKey)
                    {
                        SetRemoteKey(a);
                        State = MptcpNegotiation.Mptcp;
                    }
                    break;
                case MptcpSubtype.Dss when DssOption.Read(o.Raw, out var d) == MptcpOptionError.None:
                    sawMptcp = true;
                    if (d.HasDataAck) _peerAckedData = true;
                    if (d.DataFin && d.HasMapping)
                    {
                        // A DATA_FIN is answered with a DATA_ACK covering it, even on a pure ACK (RFC 8684 3.3.3).
                        _peerDataFin = true;
                        _peerDataFinDsn = d.DataSequenceNumber + d.DataLevelLength - 1;
                        ackNow = true;
                    }
                    break;
                case MptcpSubtype.MpFastClose when MpFastCloseOption.Read(o.Raw, out var f) == MptcpOptionError.None:
                    // Only the holder of our key may close the connection this way (RFC 8684 3.5).
                    if (f.ReceiverKey == LocalKey) FastClosed = true;
                    else InvalidOptions++;
                    break;
                case MptcpSubtype.MpTcpRst when MpTcpRstOption.Read(o.Raw, out var r) == MptcpOptionError.None:
                    PeerResetReason = r.Reason;
                    break;
                case MptcpSubtype.MpCapable or MptcpSubtype.Dss or MptcpSubtype.MpFastClose or MptcpSubtype.MpTcpRst:
                    InvalidOptions++; // RFC 8684 3: an invalid option is treated as absent
                    break;
            }
        }
        // RFC 8684 3.7: data on a subflow that never completed the handshake, with no mapping, means the peer fell back.
        if (!sawMptcp && segment.PayloadLength > 0 && State == MptcpNegotiation.Negotiating && (segment.Flags & TcpFlags.Syn) == 0)
            State = MptcpNegotiation.Fallback;
        return ackNow;
    }

    public int OptionSpace(in OutgoingSegmentInfo segment)
    {
        if ((segment.Flags & TcpFlags.Syn) != 0) return State == MptcpNegotiation.Fallback ? 0 : 12;
        if (State != MptcpNegotiation.Mptcp) return 0;
        if ((segment.Flags & TcpFlags.Rst) != 0) return 16;
        if (_client && !_peerAckedData && (!_thirdAckSent || IsFirstData(segment))) return 24;
        return 28; // DSS with 8-byte DATA_ACK and DSN: 26 bytes padded, or 28 with a checksum
    }

    public int WriteOptions(Span<byte> destination, in OutgoingSegmentInfo segment, ReadOnlySpan<byte> payload)
    {
        var w = new TcpOptionWriter(destination);
        if ((segment.Flags & TcpFlags.Syn) != 0)
        {
            _iss = segment.Seq;
            if (State == MptcpNegotiation.Fallback) return 0;
            var synAck = (segment.Flags & TcpFlags.Ack) != 0;
            w.TryWrite(synAck ? new MpCapableOption(1, _flags, LocalKey) : new MpCapableOption(1, _flags));
            return w.Finish();
        }
        if (State != MptcpNegotiation.Mptcp) return 0;
        if ((segment.Flags & TcpFlags.Rst) != 0)
        {
            // An abort of the only subflow ends the connection: MP_FASTCLOSE with the peer's key (RFC 8684 3.5, option B),
            // and MP_TCPRST to say why this subflow went (3.6).
            w.TryWrite(new MpFastCloseOption(RemoteKey!.Value));
            w.TryWrite(new MpTcpRstOption(0, MpTcpRstReason.Unspecified));
            return w.Finish();
        }
        if (_client && !_peerAckedData)
        {
            // The third ACK repeats both keys; the first data carries them too, with its data-level length (RFC 8684 3.1).
            if (!_thirdAckSent && segment.PayloadLength == 0)
            {
                _thirdAckSent = true;
                w.TryWrite(new MpCapableOption(1, _flags, LocalKey, RemoteKey));
                return w.Finish();
            }
            if (IsFirstData(segment))
            {
                _thirdAckSent = true;
                var length = (ushort)segment.PayloadLength;
                w.TryWrite(new MpCapableOption(1, _flags, LocalKey, RemoteKey, length,
                    Checksums ? MptcpCrypto.DssChecksum(LocalIdsn + 1, 1, length, 0, payload) : null));
                return w.Finish();
            }
        }
        var relative = (uint)(segment.Seq - _iss);
        var dataAck = DataAck(segment.Ack);
        var fin = (segment.Flags & TcpFlags.Fin) != 0;
        DssOption dss;
        if (segment.PayloadLength > 0)
        {
            var dsn = LocalIdsn + relative;
            var length = (ushort)(segment.PayloadLength + (fin ? 1 : 0));
            dss = DssOption.Create(dataAck, dsn, relative, length, Checksum(dsn, relative, length, payload), dataFin: fin);
        }
        else if (fin)
        {
            // A DATA_FIN alone: subflow sequence 0 and length 1 (RFC 8684 3.3.3), at the DSN after all data.
            dss = DssOption.Create(dataAck, LocalIdsn + relative, 0, 1, Checksum(LocalIdsn + relative, 0, 1, default), dataFin: true);
        }
        else dss = DssOption.Create(dataAck);
        w.TryWrite(dss);
        return w.Finish();
    }

    /// <summary>RFC 8684 3.3.1: over the 64-bit DSN, relative subflow sequence, data-level length and the mapped payload.</summary>
    private ushort? Checksum(ulong dsn, uint subflowSequence, ushort length, ReadOnlySpan<byte> payload) =>
        Checksums ? MptcpCrypto.DssChecksum(dsn, subflowSequence, length, 0, payload) : null;

    private bool IsFirstData(in OutgoingSegmentInfo segment) => segment.PayloadLength > 0 && segment.Seq == _iss + 1;

    private void SetRemoteKey(ulong key)
    {
        RemoteKey = key;
        RemoteIdsn = MptcpCrypto.Idsn(key);
    }

    /// <summary>64-bit DATA_ACK: the peer's IDSN + 1 + in-order data received (+1 once its DATA_FIN is in).</summary>
    private ulong DataAck(uint subflowAck)
    {
        // The subflow's 32-bit ACK is widened by accumulating its advances, so transfers past 4 GiB keep counting.
        var delta = (int)(subflowAck - _lastAck);
        if (delta <= 0) delta = 0;
        _ackedSubflowBytes += delta;
        if (delta > 0) _lastAck = subflowAck;
        var data = Math.Min(_ackedSubflowBytes, _receivedData);
        var ack = RemoteIdsn + 1 + (ulong)data;
        if (_peerDataFin && ack == _peerDataFinDsn) ack++;
        return ack;
    }

    private static MpCapableOption? FindCapable(ReadOnlySpan<byte> options)
    {
        foreach (var o in new TcpOptionReader(options))
            if (o.Kind == TcpOptionKind.Mptcp && MpCapableOption.Read(o.Raw, out var c) == MptcpOptionError.None) return c;
        return null;
    }
}
