using System.Buffers.Binary;
using System.Security.Cryptography;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Transport.Crypto;

/// <summary>MPTCP v1's uses of SHA-256 (RFC 8684 3.1, 3.2, 3.4.1, 3.3.1), allocation-free.</summary>
public static class MptcpCrypto
{
    /// <summary>Token: the most significant 32 bits of SHA-256 of the key.</summary>
    public static uint Token(ulong key)
    {
        Span<byte> hash = stackalloc byte[32];
        Sha(key, hash);
        return BinaryPrimitives.ReadUInt32BigEndian(hash);
    }

    /// <summary>Initial data sequence number: the least significant 64 bits of SHA-256 of the key.</summary>
    public static ulong Idsn(ulong key)
    {
        Span<byte> hash = stackalloc byte[32];
        Sha(key, hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash[24..]);
    }

    public static (uint Token, ulong Idsn) TokenAndIdsn(ulong key)
    {
        Span<byte> hash = stackalloc byte[32];
        Sha(key, hash);
        return (BinaryPrimitives.ReadUInt32BigEndian(hash), BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));
    }

    /// <summary>RFC 6824 (MPTCP v0) derives token and IDSN the same way from SHA-1; decoders of old captures need it.</summary>
    public static (uint Token, ulong Idsn) TokenAndIdsnV0(ulong key)
    {
        Span<byte> k = stackalloc byte[8];
        Span<byte> hash = stackalloc byte[20];
        BinaryPrimitives.WriteUInt64BigEndian(k, key);
        SHA1.HashData(k, hash);
        return (BinaryPrimitives.ReadUInt32BigEndian(hash), BinaryPrimitives.ReadUInt64BigEndian(hash[12..]));
    }

    private static void Sha(ulong key, Span<byte> hash)
    {
        Span<byte> k = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(k, key);
        SHA256.HashData(k, hash);
    }

    /// <summary>HMAC-SHA256 keyed with key1 || key2 (each big-endian), as Linux's mptcp_crypto_hmac_sha.</summary>
    public static void Hmac(ulong key1, ulong key2, ReadOnlySpan<byte> message, Span<byte> hmac32)
    {
        Span<byte> key = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(key, key1);
        BinaryPrimitives.WriteUInt64BigEndian(key[8..], key2);
        HMACSHA256.HashData(key, message, hmac32);
    }

    /// <summary>The 32-byte MP_JOIN HMAC: key = sender's key || receiver's key, message = sender's nonce || receiver's nonce (RFC 8684 3.2).</summary>
    public static void JoinHmac(ulong senderKey, ulong receiverKey, uint senderNonce, uint receiverNonce, Span<byte> hmac32)
    {
        Span<byte> msg = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(msg, senderNonce);
        BinaryPrimitives.WriteUInt32BigEndian(msg[4..], receiverNonce);
        Hmac(senderKey, receiverKey, msg, hmac32);
    }

    /// <summary>The SYN/ACK's truncated HMAC: its leftmost 64 bits.</summary>
    public static ulong JoinTruncatedHmac(ulong senderKey, ulong receiverKey, uint senderNonce, uint receiverNonce)
    {
        Span<byte> h = stackalloc byte[32];
        JoinHmac(senderKey, receiverKey, senderNonce, receiverNonce, h);
        return BinaryPrimitives.ReadUInt64BigEndian(h);
    }

    /// <summary>
    /// ADD_ADDR's HMAC (RFC 8684 3.4.1): key = sender's key || receiver's key, message = address ID, address, port
    /// (two bytes, zero when the option has none, as Linux computes it); the option carries the rightmost 64 bits.
    /// </summary>
    public static ulong AddAddrHmac(ulong senderKey, ulong receiverKey, byte addressId, ReadOnlySpan<byte> address, ushort port)
    {
        Span<byte> msg = stackalloc byte[1 + 16 + 2];
        msg[0] = addressId;
        address.CopyTo(msg[1..]);
        BinaryPrimitives.WriteUInt16BigEndian(msg[(1 + address.Length)..], port);
        Span<byte> h = stackalloc byte[32];
        Hmac(senderKey, receiverKey, msg[..(3 + address.Length)], h);
        return BinaryPrimitives.ReadUInt64BigEndian(h[24..]);
    }

    /// <summary>
    /// DSS checksum (RFC 8684 3.3.1): one's complement over the pseudo-header (64-bit DSN, relative subflow sequence
    /// number, data-level length, the checksum field) and the mapped payload. Computing over a received checksum gives 0 when it is right.
    /// </summary>
    public static ushort DssChecksum(ulong dsn, uint subflowSequence, ushort dataLevelLength, ushort checksumField, ReadOnlySpan<byte> payload)
    {
        var c = new InternetChecksum();
        c.Add(dsn);
        c.Add(subflowSequence);
        c.Add(dataLevelLength);
        c.Add(checksumField);
        c.Add(payload);
        return c.Finish();
    }
}
