using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace MptcpActors.Benchmarks.Interop;

/// <summary>
/// A child process of the benchmark (a kernel peer or the engine's launcher): stdout lines queued as they come, stderr
/// kept, killed (with its children) on Dispose if still running.
/// </summary>
internal sealed class InteropProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _reader;

    public InteropProcess(string what, IEnumerable<string> argv)
    {
        What = what;
        var args = argv.ToList();
        var psi = new ProcessStartInfo(args[0], args.Skip(1))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {args[0]}");
        _process.StandardInput.Close();
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
        _reader = Task.Run(() =>
        {
            string? line;
            while ((line = _process.StandardOutput.ReadLine()) is not null) _lines.Add(line);
            _lines.CompleteAdding();
        });
    }

    public string What { get; }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString().Trim();
        }
    }

    /// <summary>The next stdout line, or an exception naming the process past <paramref name="timeout"/> or at its exit.</summary>
    public string ReadLine(TimeSpan timeout)
    {
        try
        {
            if (_lines.TryTake(out var line, timeout)) return line;
        }
        catch (InvalidOperationException)
        {
            // completed: the process closed stdout
        }
        throw new InvalidOperationException(_process.HasExited
            ? $"{What} exited ({ExitCodeText()}) without output: {Tail(Stderr)}"
            : $"{What} said nothing in {timeout.TotalSeconds:0} s: {Tail(Stderr)}");
    }

    /// <summary>Waits for the exit (killing it past <paramref name="timeout"/>) and parses its last stdout line as JSON.</summary>
    public JsonElement WaitJson(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new InvalidOperationException($"{What} did not finish in {timeout.TotalSeconds:0} s: {Tail(Stderr)}");
        }
        _process.WaitForExit();
        _reader.Wait(TimeSpan.FromSeconds(5));
        var last = _lines.LastOrDefault(l => l.StartsWith('{'));
        if (_process.ExitCode != 0 || last is null)
            throw new InvalidOperationException($"{What} failed ({ExitCodeText()}): {Tail(Stderr)}");
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    public bool HasExited => _process.HasExited;

    private string ExitCodeText() => _process.HasExited ? $"exit {_process.ExitCode}" : "running";

    /// <summary>
    /// Up to <paramref name="repeat"/> measurements: a run that fails the way a child process or its output can is left
    /// out and said on the console (the last failure in <paramref name="error"/>); the others are returned.
    /// </summary>
    internal static List<T> Runs<T>(int repeat, Func<T> measure, out string? error)
    {
        var results = new List<T>();
        error = null;
        for (var i = 0; i < repeat; i++)
        {
            try
            {
                results.Add(measure());
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or JsonException or KeyNotFoundException or IOException
                                          or System.ComponentModel.Win32Exception)
            {
                error = Tail(e.Message, 600);
                Console.WriteLine($"    run {i + 1} failed: {error}");
            }
        }
        return results;
    }

    internal static string Tail(string text, int max = 400)
    {
        text = text.Replace('\n', ' ').Trim();
        return text.Length <= max ? text : "..." + text[^max..];
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
