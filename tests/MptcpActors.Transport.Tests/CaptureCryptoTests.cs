using System.Buffers.Binary;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests;

/// <summary>Recomputes from the keys and nonces in the Linux captures every token, IDSN and HMAC they carry, and verifies their DSS checksums.</summary>
public class CaptureCryptoTests
{
    private static (MptcpOptionError, MpCapableOption) Capable(byte[] r) => (MpCapableOption.Read(r, out var o), o);
    private static (MptcpOptionError, MpJoinOption) Join(byte[] r) => (MpJoinOption.Read(r, out var o), o);
    private static (MptcpOptionError, AddAddrOption) AddAddr(byte[] r) => (AddAddrOption.Read(r, out var o), o);
    private static (MptcpOptionError, DssOption) Dss(byte[] r) => (DssOption.Read(r, out var o), o);

    [Theory]
    [MemberData(nameof(SharedCaptures.Names), MemberType = typeof(SharedCaptures))]
    public void Tokens_and_idsns_equal_tshark(string capture)
    {
        var tshark = SharedCaptures.Tshark(capture);
        foreach (var s in CapturedSegment.From(SharedCaptures.Frames(capture)))
        foreach (var o in s.Options(MptcpSubtype.MpCapable, Capable))
        {
            if (o.SenderKey is not { } key) continue;
            Assert.Equal(tshark[s.Frame]["mptcp.expected_token"], MptcpCrypto.Token(key).ToString());
            Assert.Equal(tshark[s.Frame]["mptcp.expected_idsn"], MptcpCrypto.Idsn(key).ToString());
        }
    }

    [Theory]
    [MemberData(nameof(SharedCaptures.Names), MemberType = typeof(SharedCaptures))]
    public void Join_and_add_addr_hmacs_recompute_from_the_keys(string capture)
    {
        var segments = CapturedSegment.From(SharedCaptures.Frames(capture));
        var keyOf = EndpointKeys(segments);
        var checkedHmacs = 0;
        foreach (var syn in segments.Where(s => s.Flags.HasFlag(TcpFlags.Syn) && !s.Flags.HasFlag(TcpFlags.Ack)))
        foreach (var j in syn.Options(MptcpSubtype.MpJoin, Join))
        {
            var receiverKey = keyOf.Values.Distinct().Single(k => MptcpCrypto.Token(k) == j.Token);
            var senderKey = keyOf.Values.Distinct().Single(k => k != receiverKey);
            keyOf[syn.Source] = senderKey;
            keyOf[syn.Destination] = receiverKey;
            var synAck = segments.First(s => s.Source == syn.Destination && s.Destination == syn.Source && s.Flags.HasFlag(TcpFlags.Syn | TcpFlags.Ack));
            var sa = synAck.Options(MptcpSubtype.MpJoin, Join).Single();
            Assert.Equal(MpJoinStage.SynAck, sa.Stage);
            Assert.Equal(MptcpCrypto.JoinTruncatedHmac(receiverKey, senderKey, sa.Nonce, j.Nonce), sa.TruncatedHmac);
            var ack = segments.First(s => s.Source == syn.Source && s.Destination == syn.Destination && s.Frame > synAck.Frame
                && s.MptcpOptions.Count > 0 && s.Options(MptcpSubtype.MpJoin, Join).Any());
            var a = ack.Options(MptcpSubtype.MpJoin, Join).Single();
            var full = new byte[32];
            MptcpCrypto.JoinHmac(senderKey, receiverKey, j.Nonce, sa.Nonce, full);
            Assert.Equal(Hmac160.From(full), a.Hmac);
            checkedHmacs += 2;
        }
        foreach (var s in segments)
        foreach (var add in s.Options(MptcpSubtype.AddAddr, AddAddr))
        {
            if (add.Echo) continue;
            var senderKey = keyOf[s.Source];
            var receiverKey = keyOf[s.Destination];
            var address = new byte[16];
            var n = add.Address.CopyTo(address);
            Assert.Equal(MptcpCrypto.AddAddrHmac(senderKey, receiverKey, add.AddressId, address.AsSpan(0, n), add.Port ?? 0), add.TruncatedHmac);
            checkedHmacs++;
        }
        var joins = segments.Count(s => s.Options(MptcpSubtype.MpJoin, Join).Any(j => j.Stage == MpJoinStage.Syn));
        var adds = segments.Sum(s => s.Options(MptcpSubtype.AddAddr, AddAddr).Count(a => !a.Echo));
        Assert.Equal(joins * 2 + adds, checkedHmacs);
    }

    [Fact]
    public void Dss_checksums_in_the_checksum_capture_verify()
    {
        var segments = CapturedSegment.From(SharedCaptures.Frames("checksum"));
        var keyOf = EndpointKeys(segments);
        var isn = new Dictionary<string, uint>();
        var stream = new Dictionary<string, SortedDictionary<uint, byte[]>>();
        var mappings = new List<(string Dir, ulong Dsn, uint Ssn, ushort Len, ushort Sum)>();
        foreach (var s in segments)
        {
            var dir = s.Source + ">" + s.Destination;
            if (s.Flags.HasFlag(TcpFlags.Syn)) isn[dir] = s.Seq;
            if (s.Payload.Length > 0)
                (stream.TryGetValue(dir, out var m) ? m : stream[dir] = [])[s.Seq - isn[dir]] = s.Payload;
            foreach (var c in s.Options(MptcpSubtype.MpCapable, Capable))
                if (c.Checksum is { } sum)
                    mappings.Add((dir, MptcpCrypto.Idsn(keyOf[s.Source]) + 1, 1, c.DataLevelLength!.Value, sum));
            foreach (var d in s.Options(MptcpSubtype.Dss, Dss))
            {
                if (!d.HasMapping) continue;
                Assert.True(d.DsnIs64);
                Assert.NotNull(d.Checksum);
                mappings.Add((dir, d.DataSequenceNumber, d.SubflowSequenceNumber, d.DataLevelLength, d.Checksum!.Value));
            }
        }
        var verified = 0;
        foreach (var (dir, dsn, ssn, len, sum) in mappings.Distinct())
        {
            if (len == 0 && dsn != 0) continue; // a DATA_FIN-only mapping carries no payload beyond its checksum
            var payload = Assemble(stream.GetValueOrDefault(dir) ?? [], ssn, len);
            if (payload is null) continue;
            Assert.Equal(0, MptcpCrypto.DssChecksum(dsn, ssn, len, sum, payload));
            verified++;
        }
        Assert.True(verified >= 10, $"only {verified} DSS mappings could be reassembled and verified");
    }

    private static byte[]? Assemble(SortedDictionary<uint, byte[]> segments, uint start, int length)
    {
        var result = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var at = start + (uint)filled;
            var seg = segments.LastOrDefault(kv => kv.Key <= at && kv.Key + kv.Value.Length > at);
            if (seg.Value is null) return null;
            var from = (int)(at - seg.Key);
            var n = Math.Min(seg.Value.Length - from, length - filled);
            seg.Value.AsSpan(from, n).CopyTo(result.AsSpan(filled));
            filled += n;
        }
        return result;
    }

    /// <summary>Each endpoint (address:port) of the initial subflow, mapped to its MPTCP key from the MP_CAPABLE handshake.</summary>
    private static Dictionary<string, ulong> EndpointKeys(List<CapturedSegment> segments)
    {
        var keys = new Dictionary<string, ulong>();
        foreach (var s in segments)
        foreach (var c in s.Options(MptcpSubtype.MpCapable, Capable))
        {
            if (c.SenderKey is { } k) keys.TryAdd(s.Source, k);
            if (c.ReceiverKey is { } r) keys.TryAdd(s.Destination, r);
        }
        return keys;
    }
}
