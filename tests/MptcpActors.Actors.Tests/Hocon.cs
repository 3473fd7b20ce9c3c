using Akka.Configuration;

namespace MptcpActors.Actors.Tests;

internal static class Hocon
{
    public static Config Parse(string text) => ConfigurationFactory.ParseString(text);
}
