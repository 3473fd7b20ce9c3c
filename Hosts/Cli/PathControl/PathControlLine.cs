using System.Globalization;
using System.Net;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cli.PathControl;

/// <summary>
/// One line of the control channel (<c>--pm-control PATH</c>), in <c>ip mptcp</c>'s words, as a path-manager command:
/// <c>endpoint add ADDR [id N] [port P] [dev IF] [signal] [subflow] [backup] [fullmesh]</c>, <c>endpoint delete id N | ADDR</c>,
/// <c>endpoint change id N|ADDR [no]backup [[no]fullmesh]</c>, <c>endpoint flush</c>, <c>endpoint show</c>,
/// <c>limits set [subflows N] [add_addr_accepted N]</c>, <c>link IF up|down</c>; and the userspace commands in the words of
/// Linux's selftest tool pm_nl_ctl (token in hex, as the monitor prints it): <c>ann ADDR token T id N [port P]</c>,
/// <c>rem token T id N</c>, <c>csf lip ADDR lid N rip ADDR rport P token T [backup]</c>,
/// <c>dsf lip ADDR lport P rip ADDR rport P token T</c>, <c>set ADDR token T flags backup|nobackup</c>.
/// </summary>
public static class PathControlLine
{
    /// <summary>The command, or why the line is not one.</summary>
    public static (IPathManagerCommand? Command, string? Error) Parse(string line, PathManagerLimits current)
    {
        var w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        try
        {
            return w switch
            {
                ["endpoint", "add", var address, .. var rest] => (Add(address, rest), null),
                ["endpoint", "delete", "id", var id] => (new DeleteEndpoint(Number(id, "id")), null),
                ["endpoint", "delete", var address] => (new DeleteEndpoint(0, Address(address)), null),
                ["endpoint", "change", "id", var id, .. var flags] => (Change(Number(id, "id"), null, flags), null),
                ["endpoint", "change", var address, .. var flags] => (Change(0, Address(address), flags), null),
                ["endpoint", "flush"] => (FlushEndpoints.Instance, null),
                ["endpoint", "show"] or ["limits", "show"] => (ShowEndpoints.Instance, null),
                ["limits", "set", .. var rest] => (Limits(rest, current), null),
                ["link", var name, "up" or "down"] => (new InterfaceStateChanged(name, w[2] == "up"), null),
                ["ann", var address, .. var rest] => (Userspace(rest, a => new Announce(a.Token, a.Byte("id"), Ip(address), a.Port("port"))), null),
                ["rem", .. var rest] => (Userspace(rest, a => new RemoveAddress(a.Token, a.Byte("id"))), null),
                ["csf", .. var rest] => (Userspace(rest, a => new CreateSubflow(a.Token, a.Byte("lid"), Ip(a.Text("lip")), Ip(a.Text("rip")),
                    a.Port("rport") ?? throw new FormatException("csf needs rport P"), a.Has("backup"))), null),
                ["dsf", .. var rest] => (Userspace(rest, a => new DestroySubflow(a.Token, Ip(a.Text("lip")), a.Port("lport") ?? throw new FormatException("dsf needs lport P"),
                    Ip(a.Text("rip")), a.Port("rport") ?? throw new FormatException("dsf needs rport P"))), null),
                ["set", var address, .. var rest] => (Userspace(rest, a => new SetSubflowBackup(a.Token, Ip(address), a.Text("flags") switch
                {
                    "backup" => true,
                    "nobackup" => false,
                    var f => throw new FormatException($"flags {f}: expected backup or nobackup"),
                })), null),
                _ => (null, $"'{line}': expected endpoint add|delete|change|flush|show, limits set|show, or link IF up|down"),
            };
        }
        catch (FormatException e)
        {
            return (null, e.Message);
        }
    }

    private static AddEndpoint Add(string address, string[] rest)
    {
        int? port = null;
        var id = 0;
        string? dev = null;
        var flags = EndpointFlags.None;
        for (var i = 0; i < rest.Length; i++)
        {
            switch (rest[i])
            {
                case "id" when i + 1 < rest.Length: id = Number(rest[++i], "id"); break;
                case "port" when i + 1 < rest.Length: port = Number(rest[++i], "port"); break;
                case "dev" when i + 1 < rest.Length: dev = rest[++i]; break;
                case "signal": flags |= EndpointFlags.Signal; break;
                case "subflow": flags |= EndpointFlags.Subflow; break;
                case "backup": flags |= EndpointFlags.Backup; break;
                case "fullmesh": flags |= EndpointFlags.Fullmesh; break;
                default: throw new FormatException($"'{rest[i]}': expected id N, port P, dev IF, signal, subflow, backup or fullmesh");
            }
        }
        return new AddEndpoint(new EndpointSettings(Address(address), port, id, dev, flags));
    }

    private static ChangeEndpoint Change(int id, IPAddress? address, string[] flags)
    {
        bool? backup = null;
        var fullmesh = false;
        foreach (var f in flags)
        {
            switch (f)
            {
                case "backup": backup = true; break;
                case "nobackup": backup = false; break;
                case "fullmesh": fullmesh = true; break;
                case "nofullmesh": fullmesh = false; break;
                default: throw new FormatException($"'{f}': expected backup, nobackup, fullmesh or nofullmesh");
            }
        }
        return new ChangeEndpoint(id, backup ?? throw new FormatException("endpoint change needs backup or nobackup"), fullmesh, address);
    }

    private static SetLimits Limits(string[] rest, PathManagerLimits current)
    {
        var limits = current;
        for (var i = 0; i + 1 < rest.Length; i += 2)
        {
            limits = rest[i] switch
            {
                "subflows" or "subflow" => limits with { Subflows = Number(rest[i + 1], "subflows") },
                "add_addr_accepted" => limits with { AddAddrAccepted = Number(rest[i + 1], "add_addr_accepted") },
                _ => throw new FormatException($"'{rest[i]}': expected subflows N or add_addr_accepted N"),
            };
        }
        if (rest.Length % 2 != 0) throw new FormatException($"'{rest[^1]}' has no value");
        return new SetLimits(limits);
    }

    /// <summary>pm_nl_ctl's "key value" pairs (and bare words such as backup) after the command word.</summary>
    private sealed class Words(string[] words)
    {
        public uint Token => uint.TryParse(Text("token"), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var t)
            ? t : throw new FormatException($"token: '{Text("token")}' is not a hexadecimal token");

        public bool Has(string word) => words.Contains(word);

        public string Text(string key)
        {
            var i = Array.IndexOf(words, key);
            return i >= 0 && i + 1 < words.Length ? words[i + 1] : throw new FormatException($"expected {key} VALUE");
        }

        public byte Byte(string key)
        {
            var n = Number(Text(key), key);
            return n <= 255 ? (byte)n : throw new FormatException($"{key}: {n} is not 0..255");
        }

        public ushort? Port(string key)
        {
            if (!Has(key)) return null;
            var n = Number(Text(key), key);
            return n is >= 1 and <= 65535 ? (ushort)n : throw new FormatException($"{key}: {n} is not a TCP port");
        }
    }

    private static IConnectionPathCommand Userspace(string[] rest, Func<Words, IConnectionPathCommand> make) => make(new Words(rest));

    private static IpAddressBytes Ip(string text) => IpAddressBytes.From(Address(text));

    private static int Number(string text, string name) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"{name}: '{text}' is not a number");

    private static IPAddress Address(string text) =>
        IPAddress.TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an IP address");

    /// <summary>The answer line: <c>ok</c> and the endpoints, like <c>ip mptcp endpoint show</c>, or <c>error: why</c>.</summary>
    public static string Answer(object reply) => reply switch
    {
        EndpointsChanged c => "ok " + string.Join("; ", c.Endpoints.Select(Show).Append(
            $"limits subflows {c.Limits.Subflows} add_addr_accepted {c.Limits.AddAddrAccepted}")
            .Concat(c.DownInterfaces.Select(d => $"link {d} down"))),
        PathManagerCommandFailed f => $"error: {f.Reason}",
        PathManagerCommandDone => "ok",
        _ => $"error: unexpected answer {reply.GetType().Name}",
    };

    private static string Show(EndpointSettings e) =>
        $"{e.Address}{(e.Port is { } p ? $" port {p}" : "")} id {e.Id}" +
        string.Concat(Enum.GetValues<EndpointFlags>().Where(f => f != EndpointFlags.None && e.Flags.HasFlag(f)).Select(f => " " + f.ToString().ToLowerInvariant())) +
        (e.Interface is { } d ? $" dev {d}" : "");
}
