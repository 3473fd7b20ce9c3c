using System.Globalization;
using System.Text.RegularExpressions;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// HOCON byte sizes as the HOCON spec spells them: <c>kB</c>/<c>MB</c>/<c>GB</c> are powers of
/// 1000, <c>K</c>/<c>Ki</c>/<c>KiB</c> (and M, G, T likewise) powers of 1024, a bare number is bytes
/// (as the tcp_rmem/tcp_wmem sysctls count them).
/// </summary>
internal static partial class HoconByteSize
{
    private static readonly (string[] Names, long Bytes)[] Units =
    [
        (["B", "b", "byte", "bytes", ""], 1),
        (["kB", "kilobyte", "kilobytes"], 1000),
        (["KiB", "K", "k", "Ki", "kibibyte", "kibibytes"], 1L << 10),
        (["MB", "megabyte", "megabytes"], 1000_000),
        (["MiB", "M", "m", "Mi", "mebibyte", "mebibytes"], 1L << 20),
        (["GB", "gigabyte", "gigabytes"], 1000_000_000),
        (["GiB", "G", "g", "Gi", "gibibyte", "gibibytes"], 1L << 30),
        (["TB", "terabyte", "terabytes"], 1000_000_000_000),
        (["TiB", "T", "t", "Ti", "tebibyte", "tebibytes"], 1L << 40),
    ];

    public const string Expected = "a byte size (e.g. 65536, 64KiB, 4MiB)";

    public static bool TryParse(string text, out long value, out string problem)
    {
        value = 0;
        var match = Syntax().Match(text);
        if (!match.Success)
        {
            problem = $"expected {Expected}, got '{text}'";
            return false;
        }

        var unit = match.Groups["unit"].Value;
        var bytesPerUnit = Units.FirstOrDefault(u => u.Names.Contains(unit)).Bytes;
        if (bytesPerUnit == 0)
        {
            problem = $"'{unit}' in '{text}' is not a byte-size unit (B, KiB, MiB, GiB, kB, MB, GB)";
            return false;
        }

        var bytes = decimal.Parse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture)
            * bytesPerUnit;
        if (bytes != decimal.Truncate(bytes))
        {
            problem = $"'{text}' is not a whole number of bytes";
            return false;
        }

        if (bytes > long.MaxValue)
        {
            problem = $"'{text}' is too large";
            return false;
        }

        value = (long)bytes;
        problem = "";
        return true;
    }

    /// <summary>The binary-unit spelling when exact (<c>4KiB</c>, <c>1GiB</c>), else bytes.</summary>
    public static string Format(long bytes)
    {
        foreach (var (unit, size) in new[] { ("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10) })
        {
            if (bytes != 0 && bytes % size == 0)
                return $"{bytes / size}{unit}";
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    // Up to 18 integer digits keeps decimal arithmetic far from overflow; longer is out of range anyway.
    [GeneratedRegex(@"^\s*(?<number>\d{1,18}(\.\d{1,9})?)\s*(?<unit>[A-Za-z]*)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();
}
