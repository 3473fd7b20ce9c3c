namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>An MPTCP option value that can write itself: kind 30, its length, then subtype and fields (RFC 8684 3).</summary>
public interface IMptcpOption
{
    MptcpSubtype Subtype { get; }
    /// <summary>Bytes on the wire, kind and length included, before padding.</summary>
    int Length { get; }
    /// <summary>Writes exactly <see cref="Length"/> bytes.</summary>
    void WriteTo(Span<byte> destination);
}
