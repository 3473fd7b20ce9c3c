using System.Net;
using System.Net.Sockets;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// Strict address parsing. <see cref="IPAddress.TryParse(string, out IPAddress)"/> follows inet_aton
/// and reads <c>10.1</c> as 10.0.0.1 and <c>010.0.0.1</c> as octal; a config that reads as one
/// address but means another must fail instead, so IPv4 is exactly four decimal parts.
/// </summary>
internal static class IpAddressText
{
    public static bool TryParseUnicast(string text, out IPAddress address, out string problem)
    {
        if (!TryParse(text, out address, out problem))
            return false;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast)
            || address.IsIPv6Multicast || IsIPv4Multicast(address))
        {
            problem = $"{address} is not a unicast address";
            return false;
        }

        return true;
    }

    public static bool TryParse(string text, out IPAddress address, out string problem)
    {
        address = IPAddress.None;
        problem = $"'{text}' is not an IPv4 or IPv6 address";
        if (text.Contains(':'))
        {
            if (text.Contains('%'))
            {
                problem = $"'{text}' has a zone index; name the interface instead";
                return false;
            }

            if (!IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                return false;
            address = v6;
            return true;
        }

        var parts = text.Split('.');
        if (parts.Length != 4)
            return false;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit))
                return false;
            if (part.Length > 1 && part[0] == '0')
            {
                problem = $"'{text}' has a leading zero, which inet_aton reads as octal; drop it";
                return false;
            }

            var value = int.Parse(part, System.Globalization.CultureInfo.InvariantCulture);
            if (value > 255)
                return false;
            bytes[i] = (byte)value;
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static bool IsIPv4Multicast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && (address.GetAddressBytes()[0] & 0xF0) == 0xE0;
}
