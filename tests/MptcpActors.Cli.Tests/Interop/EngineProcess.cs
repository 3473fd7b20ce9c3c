using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// The built <c>mptcp</c> command running inside a namespace, for interop tests: stdout is hashed as it arrives (with a
/// live byte count, to act mid-transfer), stderr is collected in the background (so a chatty engine never blocks on a
/// full pipe), stdin is closed unless the test feeds it. Dispose kills it if it still runs.
/// </summary>
public sealed class EngineProcess : IDisposable
{
    private readonly StringBuilder _stderr = new();
    // Fed by the stdout reader, read by StdoutSoFar (under its lock); the reader disposes it at end of stream, leaving _final.
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private (string, long)? _final;
    private long _stdoutBytes;

    private EngineProcess(Process process, bool feedStdin)
    {
        Process = process;
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        Process.BeginErrorReadLine();
        Stdout = HashStdout();
        if (!feedStdin) Process.StandardInput.Close();
    }

    public Process Process { get; }

    /// <summary>SHA-256 (lower-case hex) and length of everything the engine wrote to stdout, once it closed it.</summary>
    public Task<(string Sha, long Bytes)> Stdout { get; }

    /// <summary>Bytes read from stdout so far.</summary>
    public long StdoutBytes => Interlocked.Read(ref _stdoutBytes);

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>Runs <c>mptcp ARGS</c> in <paramref name="ns"/> (null: where the tests run, e.g. with --sim).</summary>
    public static EngineProcess Start(string? ns, string args, bool feedStdin = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var mptcp = Path.Combine(AppContext.BaseDirectory, "mptcp.dll");
        var psi = new ProcessStartInfo(ns is null ? "dotnet" : "ip", ns is null ? $"{mptcp} {args}" : $"netns exec {ns} dotnet {mptcp} {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        return new EngineProcess(Process.Start(psi)!, feedStdin);
    }

    /// <summary>Writes <paramref name="data"/> to stdin on a background task, then closes stdin (end of input: FIN).</summary>
    public Task Feed(byte[] data) => Task.Run(() =>
    {
        try
        {
            Process.StandardInput.BaseStream.Write(data);
            Process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The engine exited early; the test's exit-code and hash assertions report it.
        }
    });

    /// <summary>Waits for the exit; fails the test (after killing the process) past <paramref name="seconds"/>.</summary>
    public void WaitForExit(int seconds)
    {
        if (!Process.WaitForExit(seconds * 1000))
        {
            Process.Kill(true);
            Process.WaitForExit(5000);
            Assert.Fail($"engine did not finish in {seconds} s; stdout so far {StdoutBytes} bytes; stderr: {Stderr}");
        }
        Process.WaitForExit(); // drains the asynchronous stderr reader
    }

    public int ExitCode => Process.ExitCode;

    /// <summary>
    /// SHA-256 and length of what the engine wrote to stdout so far: a transfer's data can be checked before the engine
    /// exits (and when it does not).
    /// </summary>
    public (string Sha, long Bytes) StdoutSoFar()
    {
        lock (_sha) return _final ?? (Convert.ToHexStringLower(_sha.GetCurrentHash()), Interlocked.Read(ref _stdoutBytes));
    }

    /// <summary>
    /// Asks the engine to stop (SIGTERM: the actor system shuts down and the --pcap file is completed), then kills it if it
    /// still runs after <paramref name="grace"/>.
    /// </summary>
    public void Terminate(TimeSpan grace)
    {
        try
        {
            if (Process.HasExited) return;
            // `ip netns exec` execs the command: the process is the engine itself.
            VethPair.Sh($"kill -TERM {Process.Id} 2>/dev/null || true");
            if (!Process.WaitForExit(grace))
            {
                Process.Kill(true);
                Process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private async Task<(string, long)> HashStdout()
    {
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await Process.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
        {
            lock (_sha)
            {
                _sha.AppendData(buffer, 0, n);
                Interlocked.Add(ref _stdoutBytes, n);
            }
        }
        lock (_sha)
        {
            _final = (Convert.ToHexStringLower(_sha.GetHashAndReset()), Interlocked.Read(ref _stdoutBytes));
            _sha.Dispose();
            return _final.Value;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(true);
                Process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        Process.Dispose();
    }
}

/// <summary>Helpers shared by the interop tests.</summary>
public static class InteropHelpers
{
    /// <summary>Waits for a kernel peer; kills it and fails past <paramref name="seconds"/>; returns its stdout.</summary>
    public static string WaitKernel(Process p, string what, int seconds, Func<string>? context = null)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(seconds * 1000))
        {
            p.Kill(true);
            p.WaitForExit(5000);
            Assert.Fail($"{what} did not finish in {seconds} s: {stderr.Result} {context?.Invoke()}");
        }
        p.WaitForExit();
        // The context is only worked out for a failure: it may be costly (sockets, counters, a capture decoded).
        if (p.ExitCode != 0) Assert.Fail($"{what} exited {p.ExitCode}: {stdout.Result} {stderr.Result} {context?.Invoke()}");
        return stdout.Result.Trim();
    }

    /// <summary>The MAC of an interface in a namespace, as Linux prints it (aa:bb:...).</summary>
    public static string Mac(string ns, string ifname) => VethPair.Sh($"ip netns exec {ns} cat /sys/class/net/{ifname}/address").Trim();

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>A namespace's MPTCP counters (nstat MPTcpExt*).</summary>
    public static Dictionary<string, long> MptcpCounters(string ns) =>
        VethPair.Sh($"ip netns exec {ns} nstat -az 'MPTcpExt*'").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length >= 2 && p[0].StartsWith("MPTcpExt"))
            .ToDictionary(p => p[0], p => long.Parse(p[1]));

    /// <summary>Deterministic pseudo-random bytes (a seed per test, so a failure can be replayed).</summary>
    public static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>
    /// Frames in a capture sent from <paramref name="mac"/> (aa:bb:...) that are longer than <paramref name="maxLength"/>:
    /// a frame larger than MTU + 14 never reaches the wire (the raw socket refuses it), so the engine must not build one.
    /// </summary>
    public static (int Frames, int Oversized, int Largest) FramesFrom(string pcap, string mac, int maxLength)
    {
        var src = Convert.FromHexString(mac.Replace(":", ""));
        int frames = 0, oversized = 0, largest = 0;
        using var reader = MptcpActors.Transport.Capture.PcapReader.Open(pcap);
        foreach (var f in reader.ReadAll())
        {
            if (f.Data.Length < 14 || !f.Data.Span[6..12].SequenceEqual(src)) continue;
            frames++;
            largest = Math.Max(largest, f.OriginalLength);
            if (f.OriginalLength > maxLength) oversized++;
        }
        return (frames, oversized, largest);
    }

    /// <summary>Runs <paramref name="action"/> and tells how long it took (for the reported durations).</summary>
    public static TimeSpan Timed(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed;
    }
}
