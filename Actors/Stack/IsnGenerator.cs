using System.Buffers.Binary;
using System.Security.Cryptography;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Stack;

/// <summary>
/// Initial sequence numbers per RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a
/// 4-microsecond clock and F a keyed hash, so ISNs of one 4-tuple grow with time and others cannot be guessed.
/// </summary>
public sealed class IsnGenerator(ReadOnlySpan<byte> secret)
{
    private readonly byte[] _secret = secret.ToArray();

    public static IsnGenerator CreateRandom() => new(RandomNumberGenerator.GetBytes(32));

    public uint Next(IpAddressBytes local, ushort localPort, IpAddressBytes remote, ushort remotePort, long nowNs)
    {
        Span<byte> msg = stackalloc byte[16 + 2 + 16 + 2];
        var n = local.CopyTo(msg);
        BinaryPrimitives.WriteUInt16BigEndian(msg[n..], localPort);
        n += 2;
        n += remote.CopyTo(msg[n..]);
        BinaryPrimitives.WriteUInt16BigEndian(msg[n..], remotePort);
        n += 2;
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_secret, msg[..n], hash);
        return (uint)(nowNs / 4_000) + BinaryPrimitives.ReadUInt32BigEndian(hash);
    }

    /// <summary>A per-connection timestamp offset (RFC 7323 5.4 recommends randomizing it per connection).</summary>
    public uint TimestampOffset(IpAddressBytes local, ushort localPort, IpAddressBytes remote, ushort remotePort) =>
        Next(remote, remotePort, local, localPort, 0) ^ 0x5bd1e995;
}
