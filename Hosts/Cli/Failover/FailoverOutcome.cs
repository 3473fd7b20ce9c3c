using MptcpActors.Actors.Stack;

namespace MptcpActors.Cli.Failover;

/// <summary>What a run of a scenario did, in the terms of CLI.md's report.json (one per side with --compare kernel).</summary>
public sealed record FailoverOutcome(bool Completed, bool Sha256Match, long Bytes, double DurationS, double MaxGapMs, double MaxGapAtS,
    IReadOnlyList<FaultOutcome> Faults, long ReinjectedBytes, IReadOnlyList<SubflowOutcome> Subflows, IReadOnlyList<PathSeries> Series, string? Error)
{
    /// <summary>On namespaces, how punctual the path emulator was (summary.md; not a report.json field).</summary>
    public string? Emulator { get; init; }
}

/// <summary>A fault and the time until data flowed again after the longest stall it caused.</summary>
public sealed record FaultOutcome(double AtS, string Path, string Action, double RecoveryMs);

public sealed record SubflowOutcome(string Path, bool Backup, long Bytes, long RetransmittedBytes, double SrttMs);

/// <summary>A path's throughput in the data's direction(s), one value per bucket.</summary>
public sealed record PathSeries(string Path, double[] TS, double[] Mbps);

/// <summary>Turns what the two ends saw into a <see cref="FailoverOutcome"/>.</summary>
public static class FailoverAnalysis
{
    /// <summary>
    /// A fault is charged with the longest stall under way when it happens or beginning this soon after it (before the
    /// next fault): a blackholed path's missing data stalls the receiver about a round trip later, queues included.
    /// Only a stall longer than any in the same time before the first fault (the undisturbed flow) counts; otherwise
    /// the fault disturbed nothing visible and its recovery is 0.
    /// </summary>
    public static readonly TimeSpan RecoveryWindow = TimeSpan.FromSeconds(2);

    public static FailoverOutcome Build(Scenario scenario, IReadOnlyList<EndResult> ends, IReadOnlyList<PathSeries> series, Func<TcpFlowKey, string> pathOf,
        string? runError)
    {
        var client = ends.FirstOrDefault(e => e.IsClient);
        var server = ends.FirstOrDefault(e => !e.IsClient);
        var traffic = scenario.Traffic;
        var receivers = new List<EndResult>();
        var intact = client is not null && server is not null;
        if (client is not null && server is not null)
        {
            if (traffic.Uploads)
            {
                receivers.Add(server);
                intact &= server.BytesReceived == client.BytesSent && server.ReceivedSha256 == client.SentSha256 && client.BytesSent > 0;
            }
            if (traffic.Downloads)
            {
                receivers.Add(client);
                intact &= client.BytesReceived == server.BytesSent && client.ReceivedSha256 == server.SentSha256 && server.BytesSent > 0;
            }
        }
        var error = runError ?? client?.Error ?? server?.Error ?? (client is null || server is null ? "an end of the connection never reported" : null);
        var gaps = receivers.SelectMany(r => r.Gaps).ToList();
        var longest = gaps.OrderByDescending(g => g.Length).ThenBy(g => g.From).FirstOrDefault();
        var firstFault = scenario.Faults.Select(f => f.At).DefaultIfEmpty().Min();
        var usual = gaps.Where(g => g.To > firstFault - RecoveryWindow && g.To <= firstFault).Select(g => g.Length).DefaultIfEmpty().Max();
        var faults = scenario.Faults.Select((f, i) =>
        {
            var until = i + 1 < scenario.Faults.Count && scenario.Faults[i + 1].At < f.At + RecoveryWindow ? scenario.Faults[i + 1].At : f.At + RecoveryWindow;
            var stall = gaps.Where(g => g.To > f.At && g.From < until).OrderByDescending(g => g.Length).ThenBy(g => g.From).FirstOrDefault();
            var recovery = stall.Length > usual ? (stall.To - f.At).TotalMilliseconds : 0;
            return new FaultOutcome(f.At.TotalSeconds, f.Path, f.Action.ToString().ToLowerInvariant(), Math.Round(recovery, 1));
        }).ToList();
        // The data sender's view of its subflows (the client's when data goes both ways); the receiver's when the sender
        // is the kernel, whose subflows the harness does not read.
        var sender = traffic.Uploads ? client : server;
        var receiver = traffic.Uploads ? server : client;
        var view = sender?.Finished is not null ? sender : receiver;
        var subflows = (view?.Finished?.Subflows ?? [])
            .Select(s => new SubflowOutcome(pathOf(s.Key), s.Backup,
                traffic.Direction == TrafficDirection.Both ? s.BytesSent + s.BytesReceived : view == sender ? s.BytesSent : s.BytesReceived,
                s.BytesRetransmitted, Math.Round(s.SmoothedRttMs, 2)))
            .ToList();
        var reinjected = (client?.Finished?.BytesReinjected ?? 0) + (server?.Finished?.BytesReinjected ?? 0);
        return new FailoverOutcome(intact && error is null, intact, receivers.Sum(r => r.BytesReceived),
            Math.Round(receivers.Select(r => r.LastByteAt.TotalSeconds).DefaultIfEmpty().Max(), 3),
            Math.Round(longest.Length.TotalMilliseconds, 1), Math.Round(longest.From.TotalSeconds, 3), faults, reinjected, subflows, series, error);
    }
}
