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

    public int Connect(IPEndPoint remote, IPAddress? source = null)
    {
        // The manager routes the same way; asking first gives a message that says why rather than a bare refusal.
        if (InterfaceRoute.For(engine.Routes, IpAddressBytes.From(remote.Address)) is null)
            return CliErrors.Failure(Console.Error, $"no interface reaches {remote.Address} (no subnet holds it and no --iface has gw=)");
        var owner = engine.System.ActorOf(Props.Create(() => new Completion(_done)));
        var credit = echo ? null : new SemaphoreSlim(0);
        var handler = engine.System.ActorOf(Props.Create(() => new ConnectionHandler(owner, echo, _stdout, credit)));
        if (credit is not null) PumpStdin(handler, credit);
        engine.Manager.Tell(new TcpMsg.Connect(remote, source is null ? null : new IPEndPoint(source, 0)), handler);
        return Finish(WaitDone());
    }

    /// <summary>One Bind on the manager: it listens on the port of every interface (MPTCP, or plain TCP with --plain).</summary>
    public int Listen(int port)
    {
        var owner = engine.System.ActorOf(Props.Create(() => new Completion(_done)));
        var listener = engine.System.ActorOf(Props.Create(() => new Listener(owner, echo, keepOpen, _stdout, this)));
        if (!engine.TryBind(listener, port)) return CliErrors.Failure(Console.Error, $"--port: cannot listen on {port}");
        Listening?.Invoke(port);
        if (keepOpen)
        {
            StopSignal.Requested.GetAwaiter().GetResult();
            return CliErrors.Ok;
        }
        return Finish(WaitDone());
    }

    /// <summary>The connection's end, or a stop signal's (SIGINT / SIGTERM) before it: the engine then aborts it.</summary>
    private ConnectionHandler.Done WaitDone()
    {
        Task.WaitAny(_done.Task, StopSignal.Requested);
        return _done.Task.IsCompleted ? _done.Task.Result : new ConnectionHandler.Done(false, "interrupted", null, 0, 0);
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

    private void WriteStats(ConnectionHandler.Done done)
    {
        using var f = File.Create(statsPath!);
        using var w = new Utf8JsonWriter(f, new JsonWriterOptions { Indented = true });
        StatsJson.Write(w, done.Stats, done.BytesIn, done.BytesOut);
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
