namespace MptcpActors.Transport.Sim;

/// <summary>
/// Builds a simulated topology by name and runs it: hosts, point-to-point links between them (each giving both hosts
/// a <see cref="SimPort"/>), one <see cref="EventScheduler"/> and one seed for all of it, and optionally a trace of
/// every link. <code>
/// var net = new SimNetwork(seed: 7);
/// var wifi = net.Link("wifi", "phone", "server", new LinkParameters(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(10)));
/// wifi.At(SimTime.Seconds(5), l => l.Down());
/// net.RunFor(SimTime.Seconds(10));
/// </code>
/// Ports are named "host/link" and numbered MAC addresses 02:00:00:00:00:01, :02, ... in creation order.
/// </summary>
public sealed class SimNetwork
{
    private readonly Dictionary<string, SimHost> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimLink> _links = new(StringComparer.Ordinal);
    private readonly List<SimHost> _hostOrder = [];
    private readonly List<SimLink> _linkOrder = [];
    private int _nextMac = 1;

    public SimNetwork(ulong seed = 1) : this(new EventScheduler(seed))
    {
    }

    public SimNetwork(EventScheduler scheduler) => Scheduler = scheduler ?? throw new ArgumentNullException(nameof(scheduler));

    public EventScheduler Scheduler { get; }
    public long NowNs => Scheduler.NowNs;
    public IReadOnlyList<SimHost> Hosts => _hostOrder;
    public IReadOnlyList<SimLink> Links => _linkOrder;

    /// <summary>Per-direction trace of every link, once <see cref="EnableTrace"/> was called.</summary>
    public NetworkTrace? Trace { get; private set; }

    /// <summary>The host named <paramref name="name"/>, created on first use.</summary>
    public SimHost Host(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_hosts.TryGetValue(name, out var h)) return h;
        h = new SimHost(this, name);
        _hosts.Add(name, h);
        _hostOrder.Add(h);
        return h;
    }

    public SimLink Link(string name, string hostA, string hostB, LinkParameters aToB, LinkParameters? bToA = null, int mtu = SimLink.DefaultMtu) =>
        Link(name, Host(hostA), Host(hostB), aToB, bToA, mtu);

    /// <summary>A link named <paramref name="name"/> between two hosts; <paramref name="bToA"/> null means symmetric.</summary>
    public SimLink Link(string name, SimHost a, SimHost b, LinkParameters aToB, LinkParameters? bToA = null, int mtu = SimLink.DefaultMtu)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!ReferenceEquals(a.Network, this) || !ReferenceEquals(b.Network, this)) throw new ArgumentException("both hosts must belong to this network");
        if (ReferenceEquals(a, b)) throw new ArgumentException($"link '{name}' would join host {a.Name} to itself");
        if (_links.ContainsKey(name)) throw new ArgumentException($"there is already a link named '{name}'", nameof(name));
        var link = new SimLink(Scheduler, name, aToB, bToA, mtu,
            new SimPortOptions($"{a.Name}/{name}", NextMac()), new SimPortOptions($"{b.Name}/{name}", NextMac()), a, b);
        a.AddPort(name, link.A);
        b.AddPort(name, link.B);
        _links.Add(name, link);
        _linkOrder.Add(link);
        Trace?.Add(link);
        return link;
    }

    public SimLink GetLink(string name) =>
        _links.TryGetValue(name, out var l) ? l : throw new KeyNotFoundException($"no link named '{name}'");

    /// <summary>
    /// Records, for every direction of every link (present and future), delivered bytes, drops and queue length in
    /// buckets of <paramref name="bucketNs"/>; with <paramref name="queueSamples"/> also every change of the queue.
    /// </summary>
    public NetworkTrace EnableTrace(long bucketNs, bool queueSamples = false)
    {
        if (Trace is not null) throw new InvalidOperationException("the trace is already enabled");
        Trace = new NetworkTrace(bucketNs, queueSamples);
        foreach (var l in _linkOrder) Trace.Add(l);
        return Trace;
    }

    public ScheduledEvent At(long atNs, Action action) => Scheduler.Schedule(atNs, action);

    public ScheduledEvent At(long atNs, string linkName, Action<SimLink> change) => GetLink(linkName).At(atNs, change);

    public void RunUntil(long untilNs) => Scheduler.RunUntil(untilNs);
    public void RunFor(long durationNs) => Scheduler.RunFor(durationNs);
    public bool RunUntilIdle(long maxNs = long.MaxValue) => Scheduler.RunUntilIdle(maxNs);

    private byte[] NextMac()
    {
        var n = _nextMac++;
        return [0x02, 0x00, (byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n];
    }
}
