using System.Net;
using System.Text.Json;
using Akka.Actor;
using MptcpActors.Actors.Connection;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Netcat;

/// <summary>Runs one listen or connect: wires stdin/stdout to connection handlers and waits for the end.</summary>
public sealed class NetcatSession(Engine engine, bool echo, bool keepOpen, string? statsPath)
{
    private readonly TaskCompletionSource<ConnectionHandler.Done> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stream _stdout = Console.OpenStandardOutput();

    /// <summary>Called once the listener is bound, with its port (--sim: the simulated peer then connects).</summary>
    public Action<int>? Listening { get; init; }

    public int Connect(IPEndPoint remote)
    {
        // The manager routes the same way; asking first gives a message that says why rather than a bare refusal.
        if (InterfaceRoute.For(engine.Routes, IpAddressBytes.From(remote.Address)) is null)
            return CliErrors.Failure(Console.Error, $"no interface reaches {remote.Address} (no subnet holds it and no --iface has gw=)");
        var owner = engine.System.ActorOf(Props.Create(() => new Completion(_done)));
        var credit = echo ? null : new SemaphoreSlim(0);
        var handler = engine.System.ActorOf(Props.Create(() => new ConnectionHandler(owner, echo, _stdout, credit)));
        if (credit is not null) PumpStdin(handler, credit);
        engine.Manager.Tell(new TcpMsg.Connect(remote), handler);
        return Finish(_done.Task.GetAwaiter().GetResult());
    }

    /// <summary>One Bind on the manager: it listens on the port of every interface (MPTCP, or plain TCP with --plain).</summary>
    public int Listen(int port)
    {
        var owner = engine.System.ActorOf(Props.Create(() => new Completion(_done)));
        var listener = engine.System.ActorOf(Props.Create(() => new Listener(owner, echo, keepOpen, _stdout, this)));
        var bound = engine.Manager.Ask(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, port)), TimeSpan.FromSeconds(10));
        if (bound.GetAwaiter().GetResult() is TcpMsg.CommandFailed) return CliErrors.Failure(Console.Error, $"--port: cannot listen on {port}");
        Listening?.Invoke(port);
        if (keepOpen)
        {
            Thread.Sleep(Timeout.Infinite);
            return 0;
        }
        return Finish(_done.Task.GetAwaiter().GetResult());
    }

    internal void PumpStdin(IActorRef handler, SemaphoreSlim credit)
    {
        var thread = new Thread(() =>
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[64 * 1024];
            while (true)
            {
                credit.Wait();
                var n = stdin.Read(buffer, 0, buffer.Length);
                if (n <= 0) break;
                handler.Tell(new ConnectionHandler.StdinChunk(buffer.AsSpan(0, n).ToArray(), n));
            }
            handler.Tell(new ConnectionHandler.StdinEnd());
        }) { IsBackground = true, Name = "stdin" };
        thread.Start();
    }

    private int Finish(ConnectionHandler.Done done)
    {
        _stdout.Flush();
        if (statsPath is not null) WriteStats(done);
        return done.Clean ? CliErrors.Ok : CliErrors.Failure(Console.Error, done.Error ?? "connection did not close cleanly");
    }

    /// <summary>
    /// CLI.md --stats: the connection (tokens, bytes each way as the application moved them, fallback, checksums, data
    /// reinjected onto another subflow) and every subflow it had, in the order they ended.
    /// </summary>
    private void WriteStats(ConnectionHandler.Done done)
    {
        using var f = File.Create(statsPath!);
        using var w = new Utf8JsonWriter(f, new JsonWriterOptions { Indented = true });
        var c = done.Stats;
        w.WriteStartObject();
        w.WriteStartObject("connection");
        WriteToken(w, "token", c?.LocalToken);
        WriteToken(w, "local_key_token", c?.LocalToken);
        WriteToken(w, "remote_key_token", c?.RemoteToken);
        w.WriteNumber("bytes_sent", done.BytesOut);
        w.WriteNumber("bytes_received", done.BytesIn);
        w.WriteBoolean("fallback", c?.Fallback ?? true);
        w.WriteBoolean("checksum", c?.Checksums ?? false);
        w.WriteNumber("reinjected_bytes", c?.BytesReinjected ?? 0);
        w.WriteEndObject();
        w.WriteStartArray("subflows");
        foreach (var s in c?.Subflows ?? [])
        {
            w.WriteStartObject();
            w.WriteString("local_address", s.Key.LocalAddress.ToString());
            w.WriteNumber("local_port", s.Key.LocalPort);
            w.WriteString("remote_address", s.Key.RemoteAddress.ToString());
            w.WriteNumber("remote_port", s.Key.RemotePort);
            w.WriteBoolean("backup", s.Backup);
            w.WriteNumber("bytes_sent", s.BytesSent);
            w.WriteNumber("bytes_received", s.BytesReceived);
            w.WriteNumber("retransmitted_bytes", s.BytesRetransmitted);
            w.WriteNumber("srtt_ms", Math.Round(s.SmoothedRttMs, 3));
            w.WriteString("ended", s.Reason.ToString().ToLowerInvariant());
            // RFC 8684 3.7, named after Linux's counters; present only when something happened.
            if (s.ChecksumFailures != default)
            {
                w.WriteNumber("data_csum_err", s.ChecksumFailures.ChecksumErrors);
                w.WriteNumber("mp_fail_tx", s.ChecksumFailures.FailsSent);
                w.WriteNumber("mp_fail_rx", s.ChecksumFailures.FailsReceived);
                w.WriteNumber("infinite_map_tx", s.ChecksumFailures.InfiniteMappingsSent);
                w.WriteNumber("infinite_map_rx", s.ChecksumFailures.InfiniteMappingsReceived);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteToken(Utf8JsonWriter w, string name, uint? token)
    {
        if (token is { } t) w.WriteNumber(name, t);
        else w.WriteNull(name);
    }

    private sealed class Completion : ReceiveActor
    {
        public Completion(TaskCompletionSource<ConnectionHandler.Done> done) => Receive<ConnectionHandler.Done>(d => done.TrySetResult(d));
    }

    /// <summary>Takes incoming connections: one (then stops listening) or, with --keep-open, all of them.</summary>
    private sealed class Listener : ReceiveActor
    {
        public Listener(IActorRef owner, bool echo, bool keepOpen, Stream stdout, NetcatSession session)
        {
            var accepted = false;
            Receive<TcpMsg.Connected>(c =>
            {
                if (accepted && !keepOpen)
                {
                    Sender.Tell(TcpMsg.Abort.Instance);
                    return;
                }
                accepted = true;
                // With --keep-open stdin cannot be shared between many connections: they only receive (or echo).
                var credit = echo || keepOpen ? null : new SemaphoreSlim(0);
                var handlerOwner = keepOpen ? ActorRefs.Nobody : owner;
                var handler = Context.ActorOf(Props.Create(() => new ConnectionHandler(handlerOwner, echo, stdout, credit)));
                if (credit is not null) session.PumpStdin(handler, credit);
                handler.Forward(c);
            });
        }
    }
}
