using System.Globalization;
using System.Net;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.PathManagement;

namespace MptcpActors.Cli.PathControl;

/// <summary>
/// One line of the control channel (<c>--control PATH</c>), in <c>ip mptcp</c>'s words, as a path-manager command:
/// <c>endpoint add ADDR [id N] [port P] [dev IF] [signal] [subflow] [backup] [fullmesh]</c>, <c>endpoint delete id N | ADDR</c>,
/// <c>endpoint change id N|ADDR [no]backup [[no]fullmesh]</c>, <c>endpoint flush</c>, <c>endpoint show</c>,
/// <c>limits set [subflows N] [add_addr_accepted N]</c>, <c>link IF up|down</c>.
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
        _ => $"error: unexpected answer {reply.GetType().Name}",
    };

    private static string Show(EndpointSettings e) =>
        $"{e.Address}{(e.Port is { } p ? $" port {p}" : "")} id {e.Id}" +
        string.Concat(Enum.GetValues<EndpointFlags>().Where(f => f != EndpointFlags.None && e.Flags.HasFlag(f)).Select(f => " " + f.ToString().ToLowerInvariant())) +
        (e.Interface is { } d ? $" dev {d}" : "");
}
