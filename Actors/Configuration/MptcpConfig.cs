using Akka.Configuration;

namespace MptcpActors.Actors.Configuration;

/// <summary>The engine's default HOCON (<c>akka.hocon</c>, embedded in this assembly) and how a host layers its own config over it.</summary>
public static class MptcpConfig
{
    /// <summary>Manifest name of the embedded <c>akka.hocon</c>.</summary>
    public const string ResourceName = "MptcpActors.akka.hocon";

    /// <summary>The HOCON root every engine setting lives under.</summary>
    public const string RootPath = "mptcp";

    private static readonly Lazy<string> DefaultText = new(ReadResource);
    private static readonly Lazy<Config> DefaultConfig = new(() => ConfigurationFactory.ParseString(DefaultText.Value));

    /// <summary>The text of the embedded <c>akka.hocon</c>, e.g. for <c>mptcp --print-default-config</c>.</summary>
    public static string DefaultHocon => DefaultText.Value;

    /// <summary>The embedded <c>akka.hocon</c>, parsed.</summary>
    public static Config Default => DefaultConfig.Value;

    /// <summary>
    /// <paramref name="host"/>'s config with the engine defaults beneath it: every key the host sets
    /// wins, every key it leaves out comes from <see cref="Default"/>. Safe to apply more than once.
    /// </summary>
    public static Config WithFallback(Config? host)
    {
        // Akka refuses a config as its own fallback; an empty host simply means "all defaults".
        if (host is null || host.IsEmpty || ReferenceEquals(host, Default))
            return Default;
        return host.WithFallback(Default);
    }

    private static string ReadResource()
    {
        using var stream = typeof(MptcpConfig).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException(
                $"embedded resource {ResourceName} is missing from {typeof(MptcpConfig).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
