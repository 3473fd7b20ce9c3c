using Spectre.Console;

namespace MptcpActors.Cli.Demo;

/// <summary>The summary at the end of the demo: per subflow, then the connection, the longest stall and the integrity check.</summary>
public static class DemoSummary
{
    public static int Print(DemoEndResult sender, DemoEndResult receiver, DemoTimeline timeline)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]subflows (client side)[/]");
        foreach (var column in new[] { "subflow", "sent MB", "received MB", "retransmitted KB", "srtt ms", "backup", "ended" }) table.AddColumn(column);
        foreach (var s in sender.Finished?.Subflows ?? [])
            table.AddRow(s.Key.ToString(), $"{s.BytesSent / 1e6:F2}", $"{s.BytesReceived / 1e6:F2}", $"{s.BytesRetransmitted / 1024}",
                $"{s.SmoothedRttMs:F1}", s.Backup ? "yes" : "no", s.Reason.ToString().ToLowerInvariant());
        AnsiConsole.Write(table);
        var intact = sender.Bytes == receiver.Bytes && sender.Sha256 == receiver.Sha256 && sender.Error is null && receiver.Error is null;
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("data sent / received", $"{sender.Bytes / 1e6:F2} MB / {receiver.Bytes / 1e6:F2} MB");
        grid.AddRow("SHA-256 (both ends)", intact ? $"[green]equal[/] {receiver.Sha256[..16]}…" : $"[red]DIFFERENT[/] {sender.Sha256[..Math.Min(16, sender.Sha256.Length)]} / {receiver.Sha256[..Math.Min(16, receiver.Sha256.Length)]}");
        grid.AddRow("longest stall at the receiver", $"{receiver.LongestStall.TotalMilliseconds:F0} ms (from {receiver.LongestStallAt.TotalSeconds:F1} s)");
        grid.AddRow("wifi down / up at", $"{timeline.FailAt.TotalSeconds:F1} s / {timeline.RecoverAt.TotalSeconds:F1} s");
        grid.AddRow("reinjected", $"{(sender.Finished?.BytesReinjected ?? 0) / 1024} KB");
        if ((sender.Error ?? receiver.Error) is { } error) grid.AddRow("error", $"[red]{Markup.Escape(error)}[/]");
        AnsiConsole.Write(grid);
        return intact ? CliErrors.Ok : CliErrors.Failure(Console.Error, sender.Error ?? receiver.Error ?? "the data did not arrive intact");
    }
}
