namespace MptcpActors.Transport.Capture;

/// <summary>One frame of a capture: its bytes (as captured, perhaps cut short), its length on the wire, its time and link type.</summary>
public readonly record struct CapturedFrame(ReadOnlyMemory<byte> Data, int OriginalLength, DateTimeOffset Timestamp, LinkType LinkType);

/// <summary>The capture file is not one this reader can go on with.</summary>
public sealed class CaptureFormatException(string message) : Exception(message);
