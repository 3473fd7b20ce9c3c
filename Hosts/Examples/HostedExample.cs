using System.Net;
using Akka.Actor;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MptcpActors.Hosting;

namespace MptcpActors.Examples;

/// <summary>
/// A hosted service: a generic host whose Akka.Hosting set-up starts the engine from the "Mptcp" section of its
/// configuration (appsettings.json); the manager is registered as <see cref="MptcpManagerKey"/>, and stopping the
/// host aborts the connections (MP_FASTCLOSE) before the interfaces close.
/// </summary>
public static class HostedExample
{
    public static IHost Build(IConfiguration configuration)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(configuration);
        var options = builder.Configuration.GetSection("Mptcp").Get<MptcpOptions>()
                      ?? throw new InvalidOperationException("the configuration has no \"Mptcp\" section");
        builder.Services.AddAkka("app", b => b
            .ConfigureLoggers(l => l.AddSerilogLogging()) // Akka.Logger.Serilog: structured events with their properties
            .WithMptcp(options));
        return builder.Build();
    }

    /// <summary>Starts the host, sends <paramref name="data"/> to <paramref name="server"/> through the hosted engine, stops the host.</summary>
    public static async Task<byte[]> Exchange(IHost host, IPEndPoint server, byte[] data, Func<ActorSystem, Task>? whenStarted = null)
    {
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            // Actors elsewhere in the application get the manager by its key (or from Mptcp.Get(system)).
            var manager = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<MptcpManagerKey>();
            if (!manager.Equals(Actors.Embedding.Mptcp.Get(system).Manager)) throw new InvalidOperationException("two managers");
            if (whenStarted is not null) await whenStarted(system);
            return await StreamExample.Exchange(system, server, data);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
