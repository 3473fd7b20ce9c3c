using System.Diagnostics;
using Akka.Actor;
using MptcpActors.Actors.Connection;
using Spectre.Console;

namespace MptcpActors.Cli.Demo;

/// <summary>The live display while the demo runs: elapsed time, the timeline's events, and each subflow as the connection reports it.</summary>
public sealed class DemoLiveView(DemoSender.Connection connection, TimeSpan duration, DemoTimeline timeline)
{
    private readonly List<string> _events = [];

    public void Run(Stopwatch clock, Func<bool> finished)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]mptcp demo[/] — client → server over wifi + lte");
        foreach (var column in new[] { "subflow", "state", "srtt ms", "cwnd KB", "scheduled MB" }) table.AddColumn(column);
        AnsiConsole.Live(table).AutoClear(false).Start(ctx =>
        {
            while (!finished() && clock.Elapsed < duration + TimeSpan.FromSeconds(60))
            {
                if (timeline.Advance(clock.Elapsed) is { } e) _events.Add(e);
                Refresh(table, clock.Elapsed);
                ctx.Refresh();
                Thread.Sleep(250);
            }
            Refresh(table, clock.Elapsed);
            ctx.Refresh();
        });
    }

    private void Refresh(Table table, TimeSpan elapsed)
    {
        table.Rows.Clear();
        table.Caption($"{elapsed.TotalSeconds:F1} s of {duration.TotalSeconds:F0} s   {string.Join("   ", _events)}");
        foreach (var s in CurrentSubflows())
            table.AddRow(s.Key.ToString(), s.Stale ? "[red]stale[/]" : s.Backup ? "backup" : "[green]active[/]", $"{s.SmoothedRttMs:F1}",
                $"{s.CongestionWindow / 1024}", $"{s.BytesScheduled / 1e6:F1}");
    }

    /// <summary>The client connection's subflows, as it reports them.</summary>
    private IReadOnlyList<SubflowInfo> CurrentSubflows()
    {
        if (connection.Actor is not { } actor) return [];
        try
        {
            return actor.Ask<ConnectionInfo>(GetConnectionInfo.Instance, TimeSpan.FromMilliseconds(200)).GetAwaiter().GetResult().Subflows;
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException or TaskCanceledException)
        {
            return [];
        }
    }
}
