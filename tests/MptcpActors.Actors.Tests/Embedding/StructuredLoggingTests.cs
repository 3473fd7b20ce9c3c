using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Tests.Connection;
using MptcpActors.Transport.Sim;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Embedding;

/// <summary>Through Akka.Logger.Serilog, connection events carry the token and subflow events their 4-tuple as properties.</summary>
public class StructuredLoggingTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit("""
    akka.loglevel = DEBUG
    akka.loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
    akka.logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
    """, output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly byte[] Up = [4, 5, 6];
    private static readonly byte[] Down = [1, 2, 3];

    private sealed class Collect : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();
        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }

    [Fact]
    public void Connection_and_subflow_events_carry_the_token_and_the_four_tuple()
    {
        var sink = new Collect();
        Serilog.Log.Logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();
        var nodes = new SimMptcpNodes(Sys, "", "", new LinkParameters(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200));
        var serverReport = CreateTestProbe();
        var clientReport = CreateTestProbe();
        nodes.Server.Tell(new TcpMsg.Bind(Sys.ActorOf(Props.Create(() => new TransferListener(Down, serverReport.Ref))), new IPEndPoint(IPAddress.Any, 7301)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        nodes.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimMptcpNodes.ServerIp(0), 7301)),
            Sys.ActorOf(Props.Create(() => new TransferHandler(Up, clientReport.Ref))));
        var token = clientReport.ExpectMsg<TransferResult>(Wait).Finished!.LocalToken!.Value.ToString("x8");
        serverReport.ExpectMsg<TransferResult>(Wait);

        AwaitAssert(() =>
        {
            Assert.Contains(sink.Events, e => Text(e, "MptcpToken") == token && !e.Properties.ContainsKey("LocalPort"));
            Assert.Contains(sink.Events, e => Text(e, "MptcpToken") == token && Text(e, "LocalAddress") == "10.7.0.1" && Text(e, "RemoteAddress") == "10.7.0.2"
                && Text(e, "RemotePort") == "7301" && e.Properties.ContainsKey("LocalPort"));
        }, Wait, TimeSpan.FromMilliseconds(100));
    }

    private static string? Text(LogEvent e, string property) =>
        e.Properties.TryGetValue(property, out var v) && v is ScalarValue { Value: var x } ? x?.ToString() : null;
}
