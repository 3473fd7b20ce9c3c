using System.Net.Sockets;
using System.Text;
using MptcpActors.Actors.Metrics;
using MptcpActors.Cli.Netcat;

namespace MptcpActors.Cli.Info;

/// <summary>
/// The local control socket of a running engine command (listen, connect, proxy): a Unix domain socket named by the
/// process id, in <see cref="Directory"/>, that answers the request line <c>info</c> with a JSON snapshot
/// (<see cref="InfoSnapshot"/>) and closes. Only the owner may connect (the directory is 0700); the file is removed
/// when the engine stops.
/// </summary>
public sealed class ControlEndpoint : IDisposable
{
    /// <summary>The one request there is; anything else is answered with an error object.</summary>
    public const string InfoRequest = "info";

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Engine _engine;
    private readonly string _command;
    private readonly EngineCounters _counters;
    private int _disposed;

    private ControlEndpoint(Socket listener, string path, Engine engine, string command)
    {
        _listener = listener;
        Path = path;
        _engine = engine;
        _command = command;
        // This node's engine meter, and the command's own meters (MptcpActors.Proxy, ...).
        _counters = new EngineCounters(m => m == engine.Metrics.Meter || m.Name.StartsWith(MptcpMetrics.MeterName + ".", StringComparison.Ordinal));
    }

    public string Path { get; }

    /// <summary>
    /// $MPTCP_RUN_DIR if set (several separate sets of processes on one machine), else /run/mptcp for root, else
    /// $XDG_RUNTIME_DIR/mptcp, else /tmp/mptcp-USER.
    /// </summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("MPTCP_RUN_DIR") is { Length: > 0 } given ? given
        : Environment.IsPrivilegedProcess ? "/run/mptcp"
        : Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } run ? System.IO.Path.Combine(run, "mptcp")
        : $"/tmp/mptcp-{Environment.UserName}";

    public static string PathFor(int pid) => System.IO.Path.Combine(Directory, $"{pid}.sock");

    public static ControlEndpoint Start(Engine engine, string command)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the control socket is for Linux");
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = PathFor(Environment.ProcessId);
        File.Delete(path); // left by an earlier process that had this id and was killed
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(8);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var endpoint = new ControlEndpoint(listener, path, engine, command);
        // The runtime's own exit (an unhandled signal, Environment.Exit) must not leave the file behind either.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => endpoint.Dispose();
        _ = endpoint.AcceptLoop();
        return endpoint;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Answer(client);
        }
    }

    private async Task Answer(Socket client)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var request = await ReadLine(client, timeout.Token);
                var answer = request == InfoRequest
                    ? await InfoSnapshot.Take(_engine, _command, _counters)
                    : Encoding.UTF8.GetBytes($"{{\"error\":\"unknown request (expected '{InfoRequest}')\"}}");
                await client.SendAsync(answer, timeout.Token);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The asker went away or the engine is stopping: nothing to tell anyone.
            }
        }
    }

    private static async Task<string> ReadLine(Socket client, CancellationToken cancel)
    {
        var buffer = new byte[256];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(length), cancel);
            if (n == 0) break;
            length += n;
            if (Array.IndexOf(buffer, (byte)'\n', 0, length) >= 0) break;
        }
        return Encoding.UTF8.GetString(buffer, 0, length).Split('\n')[0].Trim();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _listener.Dispose();
        _counters.Dispose();
        try { File.Delete(Path); }
        catch (IOException) { }
    }
}
