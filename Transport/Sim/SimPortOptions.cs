namespace MptcpActors.Transport.Sim;

/// <summary>Optional settings of one port of a link; null members take the link's defaults.</summary>
/// <param name="Name">Interface name (default: "link.a" / "link.b", or "host/link" in a <see cref="SimNetwork"/>).</param>
/// <param name="MacAddress">6 bytes (default: derived from the name, or numbered in a <see cref="SimNetwork"/>).</param>
/// <param name="Mtu">Largest IP packet (default: the link's MTU).</param>
public sealed record SimPortOptions(string? Name = null, byte[]? MacAddress = null, int? Mtu = null);
