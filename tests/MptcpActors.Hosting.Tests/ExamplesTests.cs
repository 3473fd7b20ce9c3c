using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;
using MptcpActors.Actors.Embedding;
using MptcpActors.Examples;

namespace MptcpActors.Hosting.Tests;

/// <summary>
/// The README's examples (Hosts/Examples) run as written, each way in end to end on the simulated network: the
/// application's system embeds the engine, the simulated peer node echoes, 2 MiB come back byte-exact over the two
/// paths. The hosted one starts from the example's appsettings.json in a generic host.
/// </summary>
public class ExamplesTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly byte[] Data = RandomNumberGenerator.GetBytes(2 << 20);

    [Theory]
    [InlineData("messages")]
    [InlineData("streams")]
    [InlineData("stream")]
    public async Task An_embedding_example_round_trips_its_data_through_the_simulated_echo(string way)
    {
        using var system = ActorSystem.Create("example", SimulatedSetup.Config);
        try
        {
            await SimulatedSetup.StartEcho(system).WaitAsync(Wait);
            var back = await (way switch
            {
                "messages" => MessagesExample.Exchange(system, SimulatedSetup.Server, Data),
                "streams" => StreamsExample.Exchange(system, SimulatedSetup.Server, Data),
                _ => StreamExample.Exchange(system, SimulatedSetup.Server, Data),
            }).WaitAsync(Wait);
            Assert.Equal(Convert.ToHexString(SHA256.HashData(Data)), Convert.ToHexString(SHA256.HashData(back)));
        }
        finally
        {
            await system.Terminate().WaitAsync(Wait);
        }
    }

    [Fact]
    public async Task The_hosted_example_starts_the_engine_from_appsettings_json_in_a_generic_host()
    {
        var settings = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        using var host = HostedExample.Build(settings);
        ActorSystem? hosted = null;
        var back = await HostedExample.Exchange(host, SimulatedSetup.Server, Data, s =>
        {
            hosted = s;
            // What appsettings.json says, not the defaults: two simulated interfaces and the LTE subflow endpoint.
            var ext = Mptcp.Get(s);
            Assert.Equal(["wifi", "lte"], ext.Interfaces.Select(i => i.Name));
            Assert.Equal("10.0.2.1", Assert.Single(ext.Settings.PathManager.Endpoints).Address.ToString());
            return SimulatedSetup.StartEcho(s);
        }).WaitAsync(Wait);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Data)), Convert.ToHexString(SHA256.HashData(back)));
        await hosted!.WhenTerminated.WaitAsync(Wait); // stopping the host stopped the engine's system
    }
}
