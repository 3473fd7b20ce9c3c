using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Hosting;
using Akka.IO;
using Akka.Logger.Serilog;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Embedding;
using MptcpActors.Actors.Streams;

namespace MptcpActors.Hosting.Tests;

/// <summary>A generic host runs the node from typed options, a connection works through it, and the host stops cleanly.</summary>
public class HostedNodeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private static IHost Build(Action<MptcpOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("hosted", b => b
            .ConfigureLoggers(l => l.AddSerilogLogging())
            .WithMptcp(configure));
        return builder.Build();
    }

    [Fact]
    public async Task The_host_starts_the_node_from_options_a_connection_round_trips_and_the_host_stops_cleanly()
    {
        using var host = Build(o =>
        {
            o.Interfaces = [new() { Name = "wifi", Address = "10.9.4.1/24", Gateway = "10.9.4.2", Transport = InterfaceTransport.Sim }];
            o.Scheduler = Scheduler.RoundRobin;
        });
        await host.StartAsync().WaitAsync(Wait);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var ext = Mptcp.Get(system);
        Assert.Equal(Scheduler.RoundRobin, ext.Settings.Scheduler);
        Assert.Equal(ext.Manager, await host.Services.GetRequiredService<ActorRegistry>().GetAsync<MptcpManagerKey>().WaitAsync(Wait));

        await new MptcpStreams(ext.SimulatedPeer!).BindAndHandle(Flow.Create<ByteString>(), system.Materializer(), "0.0.0.0", 7401).WaitAsync(Wait);
        var data = RandomNumberGenerator.GetBytes(256 << 10);
        var back = new MemoryStream();
        await using (var stream = await MptcpStream.ConnectAsync(system, new IPEndPoint(IPAddress.Parse("10.9.4.2"), 7401)).WaitAsync(Wait))
        {
            await stream.WriteAsync(data);
            stream.ShutdownOutput();
            await stream.CopyToAsync(back).WaitAsync(Wait);
        }
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));

        await host.StopAsync().WaitAsync(Wait);
        await system.WhenTerminated.WaitAsync(Wait);
    }

    [Fact]
    public void A_bad_option_fails_the_configuration_with_its_key()
    {
        var e = Assert.Throws<MptcpConfigurationException>(() =>
        {
            using var host = Build(o => o.Tcp.Mss = 12);
            host.Services.GetRequiredService<ActorSystem>();
        });
        Assert.Equal("mptcp.tcp.mss", e.Key);
    }
}
