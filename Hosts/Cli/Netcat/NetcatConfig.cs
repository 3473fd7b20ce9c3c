using System.Globalization;
using System.Text.RegularExpressions;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// The HOCON that listen's and connect's flags stand for (CLI.md: everything a flag sets is a setting, and the flag wins
/// over --config). Only the syntax of each flag is checked here, so nothing a user types can inject other settings;
/// what the values mean (ranges, scheduler names, flag combinations) is validated by <see cref="MptcpSettings.Create"/>.
/// </summary>
public static partial class NetcatConfig
{
    private static readonly HashSet<string> EndpointFlagWords = ["signal", "subflow", "backup", "fullmesh"];

    /// <exception cref="MptcpConfigurationException">A flag's syntax is wrong; its key names the flag (e.g. <c>--endpoint</c>).</exception>
    public static IReadOnlyList<string> FlagLines(bool plain, bool checksum, string? scheduler, string? limits, IReadOnlyList<string> endpoints)
    {
        var lines = new List<string>();
        if (plain) lines.Add("mptcp.enabled = false");
        if (checksum) lines.Add("mptcp.checksum = true");
        if (scheduler is not null)
        {
            if (!Word().IsMatch(scheduler)) throw new MptcpConfigurationException("--scheduler", $"'{scheduler}' is not a scheduler name (default, roundrobin, redundant)");
            lines.Add($"mptcp.scheduler = \"{scheduler}\"");
        }
        if (limits is not null)
        {
            foreach (var part in limits.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = part.Split('=');
                if (kv.Length != 2 || kv[0] is not ("subflows" or "add-addr-accepted") || !int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    throw new MptcpConfigurationException("--limits", $"'{part}': expected subflows=N or add-addr-accepted=M");
                lines.Add($"mptcp.path-manager.limits.{kv[0]} = {n}");
            }
        }
        // The flags replace the file's endpoints as a whole, as `ip mptcp endpoint` lists are the machine's whole set.
        if (endpoints.Count > 0) lines.Add($"mptcp.path-manager.endpoints = [{string.Join(", ", endpoints.Select(EndpointHocon))}]");
        return lines;
    }

    /// <summary>One <c>--endpoint ADDR[,signal|subflow|backup|fullmesh|port=N|id=N...]</c> as a HOCON endpoint object.</summary>
    public static string EndpointHocon(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        // Only what an address can be made of: the settings' strict parser says what is wrong with it, quoting stays safe.
        if (parts[0].Length == 0 || !AddressChars().IsMatch(parts[0]))
            throw new MptcpConfigurationException("--endpoint", $"'{parts[0]}' is not an IP address (expected ADDR[,FLAG...])");
        var fields = new List<string> { $"address = \"{parts[0]}\"" };
        var flags = new List<string>();
        foreach (var p in parts.Skip(1))
        {
            if (EndpointFlagWords.Contains(p)) flags.Add(p);
            else if (p.Split('=') is [("port" or "id") and var key, var value] && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                fields.Add($"{key} = {n}");
            else throw new MptcpConfigurationException("--endpoint", $"'{p}' in '{text}': expected signal, subflow, backup, fullmesh, port=N or id=N");
        }
        fields.Add($"flags = [{string.Join(", ", flags)}]");
        return $"{{ {string.Join(", ", fields)} }}";
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]*$")]
    private static partial Regex Word();

    [GeneratedRegex("^[0-9A-Fa-f.:]+$")]
    private static partial Regex AddressChars();
}
