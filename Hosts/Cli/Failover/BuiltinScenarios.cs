using System.Reflection;

namespace MptcpActors.Cli.Failover;

/// <summary>A scenario shipped with the command (<c>Failover/Scenarios/NAME.conf</c>, embedded): its first comment line is its description.</summary>
public sealed record BuiltinScenario(string Name, string Description, string Hocon);

/// <summary>The built-in scenarios of <c>mptcp failover --list / --builtin NAME</c>.</summary>
public static class BuiltinScenarios
{
    private const string Prefix = "MptcpActors.Cli.Failover.Scenarios.";

    public static IReadOnlyList<BuiltinScenario> All { get; } = Load();

    public static BuiltinScenario? Find(string name) => All.FirstOrDefault(b => b.Name == name);

    private static List<BuiltinScenario> Load()
    {
        var assembly = typeof(BuiltinScenarios).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".conf", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                var hocon = reader.ReadToEnd();
                var description = hocon.Split('\n').FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#', ' ').Trim() ?? "";
                return new BuiltinScenario(n[Prefix.Length..^".conf".Length], description, hocon);
            })
            .ToList();
    }
}
