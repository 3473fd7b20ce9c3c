using System.Text.Json;
using System.Text.Json.Nodes;

namespace MptcpActors.Cli.Failover;

/// <summary>report.json exactly as CLI.md names its fields; with --compare kernel the kernel's run under "kernel".</summary>
public static class FailoverReport
{
    public static JsonObject ToJson(Scenario scenario, string on, FailoverOutcome engine, FailoverOutcome? kernel)
    {
        var json = Fields(engine);
        json.Insert(0, "scenario", scenario.Name);
        json.Insert(1, "on", on);
        if (kernel is not null) json["kernel"] = Fields(kernel);
        return json;
    }

    public static void Write(string directory, JsonObject report) =>
        File.WriteAllText(Path.Combine(directory, "report.json"), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    private static JsonObject Fields(FailoverOutcome o) => new()
    {
        ["completed"] = o.Completed,
        ["sha256_match"] = o.Sha256Match,
        ["bytes"] = o.Bytes,
        ["duration_s"] = o.DurationS,
        ["max_gap_ms"] = o.MaxGapMs,
        ["faults"] = new JsonArray(o.Faults.Select(f => (JsonNode)new JsonObject
        {
            ["at_s"] = f.AtS, ["path"] = f.Path, ["action"] = f.Action, ["recovery_ms"] = f.RecoveryMs,
        }).ToArray()),
        ["reinjected_bytes"] = o.ReinjectedBytes,
        ["subflows"] = new JsonArray(o.Subflows.Select(s => (JsonNode)new JsonObject
        {
            ["path"] = s.Path, ["backup"] = s.Backup, ["bytes"] = s.Bytes, ["retransmitted_bytes"] = s.RetransmittedBytes, ["srtt_ms"] = s.SrttMs,
        }).ToArray()),
        ["series"] = new JsonArray(o.Series.Select(s => (JsonNode)new JsonObject
        {
            ["path"] = s.Path,
            ["t_s"] = new JsonArray(s.TS.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()),
            ["mbps"] = new JsonArray(s.Mbps.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
        }).ToArray()),
    };
}
