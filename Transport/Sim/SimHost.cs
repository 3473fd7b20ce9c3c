namespace MptcpActors.Transport.Sim;

/// <summary>A named host of a <see cref="SimNetwork"/>: nothing but the ports its links gave it (the stack on top is the engine's).</summary>
public sealed class SimHost
{
    private readonly Dictionary<string, SimPort> _ports = new(StringComparer.Ordinal);
    private readonly List<SimPort> _order = [];

    internal SimHost(SimNetwork network, string name)
    {
        Network = network;
        Name = name;
    }

    public SimNetwork Network { get; }
    public string Name { get; }

    /// <summary>Ports in the order their links were created.</summary>
    public IReadOnlyList<SimPort> Ports => _order;

    /// <summary>This host's port on the link named <paramref name="linkName"/>.</summary>
    public SimPort Port(string linkName) =>
        _ports.TryGetValue(linkName, out var p) ? p : throw new KeyNotFoundException($"host {Name} has no port on link '{linkName}'");

    public bool TryGetPort(string linkName, out SimPort port) => _ports.TryGetValue(linkName, out port!);

    internal void AddPort(string linkName, SimPort port)
    {
        _ports.Add(linkName, port);
        _order.Add(port);
    }

    public override string ToString() => $"{Name} ({string.Join(", ", _order.Select(p => p.Name))})";
}
