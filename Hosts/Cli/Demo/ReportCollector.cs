using Akka.Actor;

namespace MptcpActors.Cli.Demo;

/// <summary>Where the demo's two ends report; the command's thread waits on it.</summary>
public sealed class BlockingReport
{
    private readonly object _gate = new();
    private readonly List<(bool Sender, DemoEndResult Result)> _results = [];

    public int Count
    {
        get
        {
            lock (_gate) return _results.Count;
        }
    }

    public void Add(bool sender, DemoEndResult result)
    {
        lock (_gate)
        {
            _results.Add((sender, result));
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Both ends' results, or null if they did not both report within <paramref name="timeout"/>.</summary>
    public (DemoEndResult Sender, DemoEndResult Receiver)? Wait(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (_results.Count < 2 && DateTime.UtcNow < until) Monitor.Wait(_gate, until - DateTime.UtcNow);
            var s = _results.FirstOrDefault(r => r.Sender).Result;
            var r = _results.FirstOrDefault(r => !r.Sender).Result;
            return s is null || r is null ? null : (s, r);
        }
    }
}

/// <summary>Passes the two ends' reports to the waiting command.</summary>
public sealed class ReportCollector : ReceiveActor
{
    public ReportCollector(BlockingReport report) => Receive<DemoEndResult>(r => report.Add(r.IsSender, r));
}
