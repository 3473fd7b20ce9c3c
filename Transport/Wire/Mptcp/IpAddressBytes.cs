using System.Buffers.Binary;
using System.Net;

namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>An IPv4 or IPv6 address held in two words (no heap object), as options and 4-tuples carry them.</summary>
public readonly record struct IpAddressBytes
{
    private readonly ulong _high;
    private readonly ulong _low;

    public IpAddressBytes(ReadOnlySpan<byte> address)
    {
        switch (address.Length)
        {
            case 4:
                _low = BinaryPrimitives.ReadUInt32BigEndian(address);
                break;
            case 16:
                _high = BinaryPrimitives.ReadUInt64BigEndian(address);
                _low = BinaryPrimitives.ReadUInt64BigEndian(address[8..]);
                break;
            default:
                throw new ArgumentException("an IP address has 4 or 16 bytes", nameof(address));
        }
        Length = (byte)address.Length;
    }

    public static IpAddressBytes From(IPAddress address) => new(address.GetAddressBytes());

    /// <summary>An address written as text (dotted IPv4 or IPv6); throws <see cref="FormatException"/> as IPAddress.Parse does.</summary>
    public static IpAddressBytes Parse(string text) => From(IPAddress.Parse(text));

    /// <summary>4 for IPv4, 16 for IPv6, 0 when unset.</summary>
    public byte Length { get; }
    public bool IsIpv6 => Length == 16;

    /// <summary>Writes the address (4 or 16 bytes) and returns its length.</summary>
    public int CopyTo(Span<byte> destination)
    {
        if (Length == 4) BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
        else if (Length == 16)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        }
        return Length;
    }

    /// <summary>Whether <paramref name="other"/> is on this address's subnet of <paramref name="prefixLength"/> bits.</summary>
    public bool SameSubnet(IpAddressBytes other, int prefixLength)
    {
        if (other.Length != Length) return false;
        Span<byte> a = stackalloc byte[16];
        Span<byte> d = stackalloc byte[16];
        CopyTo(a);
        other.CopyTo(d);
        var bits = prefixLength;
        for (var i = 0; i < Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : (byte)(0xFF << (8 - bits));
            if ((a[i] & mask) != (d[i] & mask)) return false;
        }
        return true;
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        return new IPAddress(b[..CopyTo(b)]);
    }

    public override string ToString() => Length == 0 ? "" : ToIPAddress().ToString();
}
