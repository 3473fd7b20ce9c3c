using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Hosting;

/// <summary>Typed options to the HOCON keys of akka.hocon: only what is set is written, so the rest keeps its default.</summary>
public static class MptcpHocon
{
    public static Config From(MptcpOptions o) => ConfigurationFactory.ParseString(Text(o));

    /// <summary>The HOCON text of <paramref name="o"/> (every key under <c>mptcp</c>).</summary>
    public static string Text(MptcpOptions o)
    {
        var w = new StringBuilder();
        Key(w, "mptcp.enabled", o.Enabled);
        Key(w, "mptcp.checksum", o.Checksum);
        Key(w, "mptcp.allow-join-initial-addr-port", o.AllowJoinInitialAddrPort);
        Key(w, "mptcp.add-addr-timeout", o.AddAddrTimeout);
        Key(w, "mptcp.stale-loss-count", o.StaleLossCount);
        Key(w, "mptcp.scheduler", o.Scheduler is { } s ? SettingNames.Schedulers.NameOf(s) : null);
        Key(w, "mptcp.congestion-control", o.CongestionControl is { } cc ? SettingNames.CongestionControls.NameOf(cc) : null);
        Key(w, "mptcp.reassembly-memory", o.ReassemblyMemory);
        var pm = o.PathManager;
        Key(w, "mptcp.path-manager.type", pm.Type is { } t ? SettingNames.PathManagerTypes.NameOf(t) : null);
        Key(w, "mptcp.path-manager.limits.subflows", pm.Subflows);
        Key(w, "mptcp.path-manager.limits.add-addr-accepted", pm.AddAddrAccepted);
        if (pm.Endpoints is { } endpoints) List(w, "mptcp.path-manager.endpoints", endpoints.Select(Endpoint));
        var tcp = o.Tcp;
        Key(w, "mptcp.tcp.mss", tcp.Mss);
        Key(w, "mptcp.tcp.initial-rto", tcp.InitialRto);
        Key(w, "mptcp.tcp.min-rto", tcp.MinRto);
        Key(w, "mptcp.tcp.max-rto", tcp.MaxRto);
        Key(w, "mptcp.tcp.send-buffer", tcp.SendBuffer);
        Key(w, "mptcp.tcp.receive-buffer", tcp.ReceiveBuffer);
        Key(w, "mptcp.tcp.delayed-ack", tcp.DelayedAck);
        Key(w, "mptcp.tcp.nagle", tcp.Nagle);
        Key(w, "mptcp.tcp.sack", tcp.Sack);
        Key(w, "mptcp.tcp.timestamps", tcp.Timestamps);
        Key(w, "mptcp.tcp.window-scaling", tcp.WindowScaling);
        Key(w, "mptcp.tcp.syn-retries", tcp.SynRetries);
        Key(w, "mptcp.tcp.keepalive.enabled", tcp.Keepalive.Enabled);
        Key(w, "mptcp.tcp.keepalive.time", tcp.Keepalive.Time);
        Key(w, "mptcp.tcp.keepalive.interval", tcp.Keepalive.Interval);
        Key(w, "mptcp.tcp.keepalive.probes", tcp.Keepalive.Probes);
        if (o.Interfaces is { } interfaces) List(w, "mptcp.interfaces", interfaces.Select(Interface));
        return w.ToString();
    }

    private static string Endpoint(MptcpEndpointOptions e)
    {
        var fields = new List<string> { $"address = {Quote(e.Address)}" };
        if (e.Port is { } port) fields.Add($"port = {port}");
        if (e.Id is { } id) fields.Add($"id = {id}");
        if (e.Interface is { } iface) fields.Add($"interface = {Quote(iface)}");
        var flags = Enum.GetValues<EndpointFlags>().Where(f => f != EndpointFlags.None && e.Flags.HasFlag(f)).Select(SettingNames.EndpointFlagNames.NameOf);
        fields.Add($"flags = [{string.Join(", ", flags)}]");
        return $"{{ {string.Join(", ", fields)} }}";
    }

    private static string Interface(MptcpInterfaceOptions i)
    {
        var fields = new List<string> { $"name = {Quote(i.Name)}", $"address = {Quote(i.Address)}" };
        if (i.Gateway is { } gw) fields.Add($"gateway = {Quote(gw)}");
        if (i.Transport is { } t) fields.Add($"transport = {SettingNames.InterfaceTransports.NameOf(t)}");
        return $"{{ {string.Join(", ", fields)} }}";
    }

    private static void List(StringBuilder w, string key, IEnumerable<string> entries) =>
        w.Append(key).Append(" = [").Append(string.Join(", ", entries)).AppendLine("]");

    private static void Key(StringBuilder w, string key, bool? value)
    {
        if (value is { } v) w.Append(key).Append(" = ").AppendLine(v ? "true" : "false");
    }

    private static void Key(StringBuilder w, string key, long? value)
    {
        if (value is { } v) w.Append(key).Append(" = ").AppendLine(v.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Durations in milliseconds with their unit: akka.hocon refuses bare numbers.</summary>
    private static void Key(StringBuilder w, string key, TimeSpan? value)
    {
        if (value is { } v) w.Append(key).Append(" = ").Append(((long)v.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)).AppendLine("ms");
    }

    private static void Key(StringBuilder w, string key, string? name)
    {
        if (name is not null) w.Append(key).Append(" = ").AppendLine(name);
    }

    /// <summary>A JSON string is a HOCON quoted string: addresses (IPv6 ':'), names and the rest pass unharmed.</summary>
    private static string Quote(string s) => JsonSerializer.Serialize(s);
}
