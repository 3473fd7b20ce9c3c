using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Subflow;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cli.Failover.Netns;

/// <summary>
/// The engine's end on real interfaces: this command's own <c>mptcp connect</c> or <c>mptcp listen</c> run inside the
/// end's namespace (the engine owns its addresses there), with the harness writing the seeded bytes to its stdin and
/// reading what arrives from its stdout, hashing both and noting stalls as <see cref="TrafficEnd"/> does; its
/// <c>--stats</c> file gives the subflows at the end.
/// </summary>
public sealed class EngineEnd : IRunEnd
{
    private readonly Process _process;
    private readonly string _stats;
    private readonly bool _isClient;
    private readonly Task _sending;
    private readonly Task _receiving;
    private readonly Task<string> _stderr;
    private readonly IncrementalHash _sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<(long From, long To)> _gaps = [];
    private long _sent, _received, _lastByte;

    public EngineEnd(string ns, bool isClient, IReadOnlyList<NetnsPath> paths, Scenario scenario, int port, SendPlan? send, SendPlan? peerSends, string workDir,
        bool signal, Func<long> started)
    {
        _isClient = isClient;
        _stats = Path.Combine(workDir, isClient ? "engine-client.json" : "engine-server.json");
        var config = Path.Combine(workDir, isClient ? "engine-client.conf" : "engine-server.conf");
        // One frame per segment, as the topology's gso_max_segs 1 makes the kernel ends send, so the path emulator's rate
        // and queues see packets: the engine's GSO super-segments would pass the veth whole.
        File.WriteAllText(config, $"mptcp.congestion-control = {Actors.Configuration.SettingNames.CongestionControls.NameOf(scenario.CongestionControl)}\n" +
            "mptcp.raw-socket.segmentation-offload = off\n");
        var args = new List<string> { "netns", "exec", ns };
        args.AddRange(Self());
        args.Add(isClient ? "connect" : "listen");
        foreach (var p in paths)
        {
            var (own, far) = isClient ? (p.ClientIp, p.ServerIp) : (p.ServerIp, p.ClientIp);
            args.AddRange(["--iface", $"{(isClient ? p.ClientIf : p.ServerIf)}={own}/24" + (p.Index > 0 ? $",gw={far}" : "")]);
        }
        if (isClient && !signal)
            foreach (var p in paths.Skip(1))
                args.AddRange(["--endpoint", $"{p.ClientIp},subflow" + (scenario.Paths[p.Index].Backup ? ",backup" : "")]);
        if (!isClient && signal)
            foreach (var p in paths.Skip(1))
                args.AddRange(["--endpoint", $"{p.ServerIp},signal" + (scenario.Paths[p.Index].Backup ? ",backup" : "")]);
        var n = Math.Max(2, paths.Count - 1).ToString(CultureInfo.InvariantCulture);
        args.AddRange(["--limits", $"subflows={n},add-addr-accepted={n}", "--scheduler", Actors.Configuration.SettingNames.Schedulers.NameOf(scenario.Scheduler),
            "--config", config, "--stats", _stats, "--monitor"]);
        if (isClient) args.AddRange([paths[0].ServerIp, port.ToString(CultureInfo.InvariantCulture)]);
        else args.AddRange(["--port", port.ToString(CultureInfo.InvariantCulture)]);
        var psi = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the engine");
        _stderr = _process.StandardError.ReadToEndAsync();
        // Threads of their own: both block (on the pipes, or waiting for the start), and on the thread pool's few
        // threads the client's sender of an engine-to-engine run waited for the pool to grow, half a second, while its
        // engine had connected and had nothing to send.
        _receiving = Task.Factory.StartNew(Receive, TaskCreationOptions.LongRunning);
        _sending = Task.Factory.StartNew(() => Send(send, peerSends, started), TaskCreationOptions.LongRunning);
    }

    public bool Exited => _process.HasExited;

    /// <summary>
    /// This command as a process: its apphost when it is what runs, else dotnet and its assembly (run as
    /// <c>dotnet mptcp.dll</c>, or hosted by another program, such as the benchmarks).
    /// </summary>
    private static IEnumerable<string> Self()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") return [host, typeof(EngineEnd).Assembly.Location];
        if (System.Reflection.Assembly.GetEntryAssembly() == typeof(EngineEnd).Assembly) return [host];
        return [Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", typeof(EngineEnd).Assembly.Location];
    }

    /// <summary>
    /// Writes the plan's bytes to the engine's stdin. Its duration and rate count from <paramref name="started"/> (the
    /// first frame through the router): the engine process takes a while to start, and what it reads before it has
    /// connected waits in its buffers.
    /// </summary>
    private void Send(SendPlan? plan, SendPlan? peerPlan, Func<long> started)
    {
        var stdin = _process.StandardInput.BaseStream;
        try
        {
            // A receiving-only end half-closes once the peer is done (TrafficEnd: once the peer has closed, which this
            // end's stdout does not tell): closing at once put a DATA_FIN on the wire before the client's path manager
            // had opened its other subflows, and it opened none then.
            if (plan is null)
            {
                WaitForPeer(peerPlan, started);
                return;
            }
            var random = new SeededBytes(plan.Seed);
            var chunk = new byte[plan.RateBps is null ? 65536 : 8192];
            while (started() == 0 && !_process.HasExited) Thread.Sleep(1);
            var start = started();
            while (true)
            {
                var elapsed = Stopwatch.GetElapsedTime(start);
                if (plan.Bytes is { } total && _sent >= total) break;
                if (plan.Duration is { } d && elapsed >= d) break;
                var k = (int)Math.Min(chunk.Length, plan.Bytes is { } t ? t - _sent : long.MaxValue);
                if (plan.RateBps is { } rate)
                {
                    var due = TimeSpan.FromSeconds(_sent * 8 / rate) - elapsed;
                    if (due > TimeSpan.Zero) Thread.Sleep(due);
                }
                random.Fill(chunk.AsSpan(0, k));
                _sentHash.AppendData(chunk, 0, k);
                stdin.Write(chunk, 0, k);
                stdin.Flush();
                _sent += k;
            }
        }
        catch (IOException)
        {
            // the engine exited (its error is on its stderr)
        }
        finally
        {
            try { stdin.Close(); }
            catch (IOException) { }
        }
    }

    /// <summary>Until the peer's bytes have all arrived, or its duration has passed since the start, or the engine has exited.</summary>
    private void WaitForPeer(SendPlan? peerPlan, Func<long> started)
    {
        bool Done()
        {
            if (peerPlan?.Bytes is { } bytes) return Interlocked.Read(ref _received) >= bytes;
            return peerPlan?.Duration is { } d && started() is var start and not 0 && Stopwatch.GetElapsedTime(start) >= d;
        }
        while (!Done() && !_process.HasExited) Thread.Sleep(10);
    }

    private void Receive()
    {
        var stdout = _process.StandardOutput.BaseStream;
        var buffer = new byte[1 << 16];
        int n;
        while ((n = stdout.Read(buffer)) > 0)
        {
            var now = Stopwatch.GetTimestamp();
            if (_received > 0 && Stopwatch.GetElapsedTime(_lastByte, now) >= TimeSpan.FromMilliseconds(1)) _gaps.Add((_lastByte, now));
            _lastByte = now;
            Interlocked.Add(ref _received, n);
            _receivedHash.AppendData(buffer, 0, n);
        }
    }

    public void WaitForExit(TimeSpan timeout)
    {
        _process.WaitForExit(timeout);
        if (_process.HasExited) Task.WaitAll([_sending, _receiving], TimeSpan.FromSeconds(10));
    }

    public (EndResult? Result, string? Error) Result(long startTimestamp)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
            return (null, $"the engine's end did not finish: {_stderr.Result.Trim().Split('\n').LastOrDefault()}");
        }
        File.WriteAllText(Path.ChangeExtension(_stats, "log"), _stderr.Result); // its --monitor events, for a look at what it did
        var error = _process.ExitCode == 0 ? null : $"the engine's end exited with {_process.ExitCode}: {_stderr.Result.Trim().Split('\n').LastOrDefault()}";
        TimeSpan At(long ts) => ts == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(startTimestamp, ts);
        return (new EndResult(_isClient, _sent, Convert.ToHexString(_sentHash.GetHashAndReset()), _received, Convert.ToHexString(_receivedHash.GetHashAndReset()),
            At(_lastByte), _gaps.Select(g => new DeliveryGap(At(g.From), At(g.To))).ToList(), ReadStats(), error), error);
    }

    private ConnectionFinished? ReadStats()
    {
        if (!File.Exists(_stats)) return null;
        var json = JsonDocument.Parse(File.ReadAllText(_stats)).RootElement;
        var c = json.GetProperty("connection");
        var subflows = json.GetProperty("subflows").EnumerateArray().Select(s => new SubflowFinished(
            new TcpFlowKey(Address(s, "local_address"), (ushort)s.GetProperty("local_port").GetInt32(), Address(s, "remote_address"), (ushort)s.GetProperty("remote_port").GetInt32()),
            s.GetProperty("bytes_sent").GetInt64(), s.GetProperty("bytes_received").GetInt64(), s.GetProperty("retransmitted_bytes").GetInt64(),
            s.GetProperty("srtt_ms").GetDouble(), TcpCloseReason.Closed) { Backup = s.GetProperty("backup").GetBoolean() }).ToList();
        return new ConnectionFinished(null, null, c.GetProperty("fallback").GetBoolean(), c.GetProperty("checksum").GetBoolean(), c.GetProperty("bytes_sent").GetInt64(),
            c.GetProperty("bytes_received").GetInt64(), c.GetProperty("reinjected_bytes").GetInt64(), subflows);
    }

    private static IpAddressBytes Address(JsonElement s, string name) => IpAddressBytes.From(IPAddress.Parse(s.GetProperty(name).GetString()!));

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
