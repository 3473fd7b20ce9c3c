using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MptcpActors.Cli.Failover.Netns;

/// <summary>
/// An end run by the Linux kernel's MPTCP: a Python process (socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)) inside a
/// namespace that sends and receives as a <see cref="TrafficEnd"/> does (seeded bytes, SHA-256 both ways, stalls of a
/// millisecond or more, timed with CLOCK_MONOTONIC) and prints its result as JSON when the connection is over.
/// </summary>
public sealed class KernelEnd : IRunEnd
{
    private const string Script = """
        import socket, sys, time, hashlib, random, json, threading
        role, addr, port, nbytes, duration, rate, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
        sends = nbytes != 0
        if role == 'server':
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(('0.0.0.0', port)); ls.listen(1)
            print('ready', file=sys.stderr, flush=True)
            s, _ = ls.accept()
        else:
            for attempt in range(100):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
                s.settimeout(0.5)
                try:
                    s.connect((addr, port)); break
                except OSError:
                    s.close(); time.sleep(0.1)
            s.settimeout(None)
        res = {'sent': 0, 'sent_sha': hashlib.sha256().hexdigest().upper()}
        def send():
            h = hashlib.sha256(); r = random.Random(seed); n = 0; start = time.monotonic()
            while True:
                if nbytes > 0 and n >= nbytes: break
                if duration > 0 and time.monotonic() - start >= duration: break
                k = 65536 if nbytes < 0 else min(65536, nbytes - n)
                if rate > 0:
                    k = min(k, 8192)
                    d = start + n * 8 / rate - time.monotonic()
                    if d > 0: time.sleep(d)
                b = r.randbytes(k); h.update(b); s.sendall(b); n += k
            s.shutdown(socket.SHUT_WR)
            res['sent'] = n; res['sent_sha'] = h.hexdigest().upper()
        t = threading.Thread(target=send) if sends else None
        if t: t.start()
        h = hashlib.sha256(); n = 0; last = 0; gaps = []
        while True:
            b = s.recv(262144)
            now = time.monotonic_ns()
            if not b: break
            if n > 0 and now - last >= 1000000: gaps.append([last, now])
            last = now; n += len(b); h.update(b)
        if t: t.join()
        s.close()
        res.update({'received': n, 'received_sha': h.hexdigest().upper(), 'last_byte_ns': last, 'gaps': gaps})
        print(json.dumps(res), flush=True)
        """;

    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly bool _isClient;

    /// <param name="send">bytes (or -1: for the duration; 0: sends nothing)</param>
    public KernelEnd(string ns, bool isClient, string address, int port, SendPlan? send)
    {
        _isClient = isClient;
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "python3", "-c", Script, isClient ? "client" : "server", address, port.ToString(CultureInfo.InvariantCulture),
                     (send is null ? 0 : send.Bytes ?? -1).ToString(CultureInfo.InvariantCulture),
                     (send?.Duration?.TotalSeconds ?? 0).ToString(CultureInfo.InvariantCulture),
                     (send?.RateBps ?? 0).ToString(CultureInfo.InvariantCulture), (send?.Seed ?? 0).ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start python3");
        _stdout = _process.StandardOutput.ReadToEndAsync();
        if (!isClient)
        {
            // The listener is up once it says so: only then may the client connect.
            var line = _process.StandardError.ReadLine();
            if (line != "ready") throw new InvalidOperationException($"the kernel's server did not start: {line}{_process.StandardError.ReadToEnd()}");
        }
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    public bool Exited => _process.HasExited;

    /// <summary>What the end saw, its times relative to <paramref name="startTimestamp"/>; null with the reason if it failed.</summary>
    public (EndResult? Result, string? Error) Result(long startTimestamp)
    {
        if (!_process.HasExited) return (null, "the kernel's end did not finish");
        if (_process.ExitCode != 0) return (null, $"the kernel's end failed: {_stderr.Result.Trim().Split('\n').LastOrDefault()}");
        var json = JsonDocument.Parse(_stdout.Result).RootElement;
        TimeSpan At(long ns) => TimeSpan.FromTicks(Math.Max(0, (long)((ns - startTimestamp * (1e9 / Stopwatch.Frequency)) / 100)));
        var gaps = json.GetProperty("gaps").EnumerateArray().Select(g => new DeliveryGap(At(g[0].GetInt64()), At(g[1].GetInt64()))).ToList();
        return (new EndResult(_isClient, json.GetProperty("sent").GetInt64(), json.GetProperty("sent_sha").GetString()!, json.GetProperty("received").GetInt64(),
            json.GetProperty("received_sha").GetString()!, At(json.GetProperty("last_byte_ns").GetInt64()), gaps, null, null), null);
    }

    public void WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
