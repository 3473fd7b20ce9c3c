using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using MptcpActors.Cli.Tests.Interop;
using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests;

/// <summary>
/// <c>mptcp proxy --sim</c> and <c>mptcp info</c> without root: the simulated peer connects to the proxy and echoes what
/// it gets; the proxy relays to a TCP server in this test process (host sockets, loopback).
/// </summary>
public sealed class ProxySimTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private static string Mptcp => Path.Combine(AppContext.BaseDirectory, "mptcp.dll");

    /// <summary>Each test's processes keep their control sockets in their own directory, so `mptcp info` finds only them.</summary>
    private readonly string _runDir = Directory.CreateTempSubdirectory("mptcp-run-").FullName;

    private Dictionary<string, string> Env => new() { ["MPTCP_RUN_DIR"] = _runDir };

    private string ControlSocket(EngineProcess p) => Path.Combine(_runDir, $"{p.Process.Id}.sock");

    private JsonDocument Info(EngineProcess proxy)
    {
        var r = MptcpProcess.Run("dotnet", [Mptcp, "info", "--pid", proxy.Process.Id.ToString(), "--json"], Wait, Env);
        Assert.True(r.ExitCode == 0, $"mptcp info exited {r.ExitCode}: {r.Stderr}");
        return JsonDocument.Parse(r.Stdout);
    }

    private static Socket Accept(TcpListener listener, EngineProcess proxy)
    {
        var accept = listener.AcceptSocketAsync();
        Assert.True(accept.Wait(Wait), $"the proxy never connected to the server: {proxy.Stderr}");
        return accept.Result;
    }

    /// <summary>
    /// The simulated client's connection is relayed to this test's server; `mptcp info` shows it (MPTCP: both paths,
    /// the second joined through the proxy's signal endpoint; --plain: a plain TCP connection, listed apart); 8 MB from the server come
    /// back byte-exact through the echoing client, each FIN passed on; --stats gets the connection's line; SIGTERM ends
    /// the proxy with exit 0 and removes its control socket.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proxy_relays_the_simulated_client_to_a_tcp_server_and_info_shows_it(bool plain)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var stats = Path.GetTempFileName();
        try
        {
            using var proxy = EngineProcess.Start(null, $"proxy --sim --listen 7000 --to 127.0.0.1:{port} --stats {stats}{(plain ? " --plain" : "")}", environment: Env);
            using var server = Accept(listener, proxy);

            // Held open and idle: what info shows is the connection as it is now.
            var seen = Stopwatch.StartNew();
            while (true)
            {
                using var info = Info(proxy);
                var root = info.RootElement;
                output.WriteLine(root.ToString());
                Assert.Equal("proxy", root.GetProperty("command").GetString());
                Assert.Equal(!plain, root.GetProperty("mptcp").GetBoolean());
                var connections = root.GetProperty("connections").EnumerateArray().ToList();
                var tcp = root.GetProperty("tcp_connections").EnumerateArray().ToList();
                Assert.Equal(tcp.Count, root.GetProperty("counters").GetProperty("tcp_connections").GetDouble());
                if (plain)
                {
                    // The plain TCP connection is listed as ss lists a TCP socket: the proxy's end of it, accepted.
                    Assert.Empty(connections);
                    var t = Assert.Single(tcp);
                    Assert.Equal("ESTAB", t.GetProperty("state").GetString());
                    Assert.Equal("server", t.GetProperty("role").GetString());
                    Assert.Equal("10.0.1.1", t.GetProperty("local_address").GetString());
                    Assert.Equal(7000, t.GetProperty("local_port").GetInt32());
                    Assert.Equal("10.0.1.2", t.GetProperty("remote_address").GetString());
                    Assert.True(t.GetProperty("srtt_ms").GetDouble() > 0, "no RTT measured on an established connection");
                    break;
                }
                Assert.Empty(tcp); // MPTCP subflows are not plain connections
                var c = Assert.Single(connections);
                Assert.Equal("ESTAB", c.GetProperty("state").GetString());
                Assert.False(c.GetProperty("fallback").GetBoolean());
                Assert.Equal(JsonValueKind.Number, c.GetProperty("remote_token").ValueKind);
                Assert.Equal(1, root.GetProperty("counters").GetProperty("MPTcpExtMPCurrEstab").GetDouble());
                Assert.Equal(1, root.GetProperty("counters").GetProperty("MPTcpExtMPCapableSYNRX").GetDouble()); // the local node's only, not the peer's
                if (c.GetProperty("subflows").GetArrayLength() == 2)
                {
                    Assert.Contains(c.GetProperty("subflows").EnumerateArray(), s => s.GetProperty("join").GetBoolean() && s.GetProperty("local_address").GetString() == "10.0.2.1");
                    break;
                }
                Assert.True(seen.Elapsed < Wait, "the simulated client never joined the second path");
            }
            var text = MptcpProcess.Run("dotnet", [Mptcp, "info"], Wait, Env);
            output.WriteLine(text.Stdout);
            Assert.Equal(0, text.ExitCode);
            Assert.StartsWith($"mptcp proxy (pid {proxy.Process.Id})", text.Stdout);
            Assert.Contains(plain ? "tcp connections: 1\n  ESTAB      server 10.0.1.1:7000 10.0.1.2:" : "tcp connections: 0\n", text.Stdout);

            var data = RandomNumberGenerator.GetBytes(8_000_000);
            var sending = Task.Run(async () =>
            {
                await server.SendAsync(data, SocketFlags.None);
                server.Shutdown(SocketShutdown.Send);
            });
            var back = new MemoryStream();
            var buffer = new byte[1 << 16];
            var reading = Task.Run(async () =>
            {
                int n;
                while ((n = await server.ReceiveAsync(buffer, SocketFlags.None)) > 0) back.Write(buffer, 0, n);
            });
            var both = Task.WhenAll(sending, reading);
            Assert.True(await Task.WhenAny(both, Task.Delay(Wait)) == both, $"the echo did not come back in time ({back.Length} B): {proxy.Stderr}");
            await both;
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));

            var wait = Stopwatch.StartNew();
            while (File.ReadAllText(stats).Length == 0 && wait.Elapsed < Wait) await Task.Delay(20);
            // The proxy's own counters are listed with the engine's.
            using (var after = Info(proxy))
            {
                var counters = after.RootElement.GetProperty("counters");
                Assert.Equal(1, counters.GetProperty("proxy.connections").GetDouble());
                Assert.Equal(data.Length, counters.GetProperty("proxy.bytes_to_server").GetDouble());
                Assert.Equal(data.Length, counters.GetProperty("proxy.bytes_to_client").GetDouble());
                Assert.Equal(0, counters.GetProperty("proxy.failed").GetDouble());
            }
            using var line = JsonDocument.Parse(File.ReadAllLines(stats).Single());
            Assert.Equal("closed", line.RootElement.GetProperty("outcome").GetString());
            Assert.Equal(data.Length, line.RootElement.GetProperty("stats").GetProperty("connection").GetProperty("bytes_received").GetInt64());
            Assert.Equal(plain, line.RootElement.GetProperty("stats").GetProperty("connection").GetProperty("fallback").GetBoolean());

            Assert.True(File.Exists(ControlSocket(proxy)));
            proxy.Terminate(Wait);
            Assert.Equal(0, proxy.ExitCode);
            Assert.False(File.Exists(ControlSocket(proxy)), "the control socket was left behind");
            var none = MptcpProcess.Run("dotnet", [Mptcp, "info"], Wait, Env);
            Assert.Equal(1, none.ExitCode);
            Assert.StartsWith("mptcp: error: no running mptcp", none.Stderr);
        }
        finally
        {
            File.Delete(stats);
        }
    }

    public void Dispose() => Directory.Delete(_runDir, recursive: true);

    /// <summary>
    /// Backpressure end to end: a server that writes 200 MB and never reads gets stuck after a bounded amount, because the
    /// proxy stops reading its socket while the client's side (the engine's send buffer, the echoing client, and back) is
    /// full, instead of buffering everything. The bound counts every buffer on the way (sockets, the engine's send and
    /// receive buffers on both nodes, the relay's queue); without backpressure all 200 MB would be taken.
    /// </summary>
    [Fact]
    public void A_server_that_never_reads_is_held_back_instead_of_buffered()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var proxy = EngineProcess.Start(null, $"proxy --sim --listen 7000 --to 127.0.0.1:{port}", environment: Env);
        using var server = Accept(listener, proxy);
        server.Blocking = false;
        var chunk = new byte[1 << 16];
        long written = 0;
        var lastProgress = Stopwatch.StartNew();
        // Written until nothing more goes in for 5 s (a stall, not a measured speed) or everything went.
        while (written < 200_000_000 && lastProgress.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                written += server.Send(chunk);
                lastProgress.Restart();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                Thread.Sleep(10);
            }
        }
        output.WriteLine($"the server could write {written} B before it was held back");
        Assert.InRange(written, 1, 64_000_000);
        Assert.False(proxy.Process.HasExited, proxy.Stderr);
        proxy.Terminate(Wait);
    }

    /// <summary>A server that refuses: the client's connection is aborted, the proxy says why on stderr and keeps serving.</summary>
    [Fact]
    public void A_refusing_server_is_reported_and_the_proxy_keeps_running()
    {
        using var unused = new TcpListener(IPAddress.Loopback, 0);
        unused.Start();
        var port = ((IPEndPoint)unused.LocalEndpoint).Port;
        unused.Stop(); // nothing listens there now: connecting is refused
        using var proxy = EngineProcess.Start(null, $"proxy --sim --listen 7000 --to 127.0.0.1:{port}", environment: Env);
        var wait = Stopwatch.StartNew();
        while (!proxy.Stderr.Contains("cannot relay to") && !proxy.Process.HasExited && wait.Elapsed < Wait) Thread.Sleep(20);
        output.WriteLine(proxy.Stderr);
        Assert.Contains($"mptcp: proxy: 10.0.1.2:", proxy.Stderr);
        Assert.Contains($"cannot relay to 127.0.0.1:{port}", proxy.Stderr);
        Assert.False(proxy.Process.HasExited, "the proxy exited");
        proxy.Terminate(Wait);
        Assert.Equal(0, proxy.ExitCode);
    }

    /// <summary>--listen and --to may come from --config (mptcp-cli.proxy), like every flag.</summary>
    [Fact]
    public void Listen_and_to_can_come_from_the_config_file()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var config = Path.GetTempFileName();
        File.WriteAllText(config, $"mptcp-cli {{ sim = on\n proxy {{ listen = 7000\n to = \"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}\" }} }}");
        try
        {
            using var proxy = EngineProcess.Start(null, $"proxy --config {config}", environment: Env);
            using var server = Accept(listener, proxy);
            proxy.Terminate(Wait);
            Assert.Equal(0, proxy.ExitCode);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Theory]
    [InlineData(new[] { "proxy", "--sim", "--listen", "7000" }, "--to")]
    [InlineData(new[] { "proxy", "--sim", "--to", "127.0.0.1:80" }, "--listen")]
    [InlineData(new[] { "proxy", "--sim", "--listen", "0", "--to", "127.0.0.1:80" }, "--listen")]
    [InlineData(new[] { "proxy", "--sim", "--listen", "7000", "--to", "127.0.0.1" }, "--to")]
    [InlineData(new[] { "proxy", "--sim", "--listen", "7000", "--to", "127.0.0.1:70000" }, "--to")]
    [InlineData(new[] { "proxy", "--sim", "--listen", "7000", "--to", "::1:80" }, "--to")]
    [InlineData(new[] { "proxy", "--sim", "--listen", "7000", "--to", "no.such.host.invalid:80" }, "--to")]
    [InlineData(new[] { "info", "--pid", "-3" }, "--pid")]
    [InlineData(new[] { "info", "--pid", "1" }, "--pid")]                     // running, but not an mptcp engine
    [InlineData(new[] { "info", "--pid", "x" }, "--pid")]
    public void Bad_proxy_and_info_arguments_exit_2_naming_them(string[] args, string named)
    {
        var r = MptcpProcess.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("mptcp: error:", line);
        Assert.Contains(named, line);
    }
}
