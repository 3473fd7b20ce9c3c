using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// An address owned on an interface together with its prefix (<c>10.0.1.2/24</c>). Kept apart from
/// <see cref="IPNetwork"/>, which only holds the network and would lose the host part.
/// </summary>
public sealed record InterfaceAddress
{
    public InterfaceAddress(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, MaxPrefixLength(address));
        Address = address;
        PrefixLength = prefixLength;
    }

    public IPAddress Address { get; }

    public int PrefixLength { get; }

    /// <summary>The subnet the address sits in: destinations inside it are on-link.</summary>
    public IPNetwork Network => new(Masked(Address, PrefixLength), PrefixLength);

    public bool Contains(IPAddress other) => Network.Contains(other);

    public override string ToString() => $"{Address}/{PrefixLength}";

    public static bool TryParse(string text, out InterfaceAddress? value, out string problem)
    {
        value = null;
        var slash = text.IndexOf('/');
        if (slash < 0)
        {
            problem = $"'{text}' has no /prefix (e.g. {text}/24)";
            return false;
        }

        if (!IpAddressText.TryParseUnicast(text[..slash], out var address, out problem))
            return false;

        var prefixText = text[(slash + 1)..];
        var max = MaxPrefixLength(address);
        var prefix = prefixText.Length is > 0 and <= 3 && prefixText.All(char.IsAsciiDigit)
            ? int.Parse(prefixText, CultureInfo.InvariantCulture)
            : -1;
        if (prefix < 0 || prefix > max)
        {
            problem = $"'/{prefixText}' in '{text}' is not a prefix length of 0..{max}";
            return false;
        }

        value = new InterfaceAddress(address, prefix);
        problem = "";
        return true;
    }

    private static int MaxPrefixLength(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;

    private static IPAddress Masked(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new IPAddress(bytes);
    }
}
