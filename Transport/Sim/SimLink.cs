namespace MptcpActors.Transport.Sim;

/// <summary>
/// A point-to-point link between two <see cref="SimPort"/>s (A and B), like a cable or a radio hop: two independent
/// directions (<see cref="AToB"/>, <see cref="BToA"/>) with their own <see cref="LinkParameters"/>, and a state.
/// <list type="bullet">
/// <item><see cref="Down"/>: no carrier. Frames sent are dropped, queued and in-flight frames are lost, both ports
/// report the link down (and raise LinkStateChanged).</item>
/// <item><see cref="Blackhole()"/>: one or both directions drop every frame silently; the ports still say up. Frames
/// already on the link still arrive.</item>
/// <item><see cref="Up"/>: back to normal in both directions.</item>
/// </list>
/// Everything can be changed now or at a later virtual time with <see cref="At"/>.
/// </summary>
public sealed class SimLink
{
    public const int DefaultMtu = 1500;

    private bool _down;

    /// <param name="scheduler">The simulation this link lives in.</param>
    /// <param name="name">Names the link and, by default, its ports ("name.a", "name.b") and random stream.</param>
    /// <param name="aToB">Parameters of the direction A → B.</param>
    /// <param name="bToA">Parameters of B → A; null is the same as A → B.</param>
    public SimLink(EventScheduler scheduler, string name, LinkParameters aToB, LinkParameters? bToA = null, int mtu = DefaultMtu,
        SimPortOptions? a = null, SimPortOptions? b = null)
        : this(scheduler, name, aToB, bToA, mtu, a, b, null, null)
    {
    }

    internal SimLink(EventScheduler scheduler, string name, LinkParameters aToB, LinkParameters? bToA, int mtu,
        SimPortOptions? a, SimPortOptions? b, SimHost? hostA, SimHost? hostB)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(aToB);
        Scheduler = scheduler;
        Name = name;
        A = CreatePort(a, $"{name}.a", mtu, hostA);
        B = CreatePort(b, $"{name}.b", mtu, hostB);
        // Each direction draws from its own stream, named after the link, so links and directions do not disturb
        // one another's randomness.
        AToB = new SimLinkDirection(this, A, B, aToB, scheduler.CreateRandom($"link:{name}:a>b"));
        BToA = new SimLinkDirection(this, B, A, bToA ?? aToB, scheduler.CreateRandom($"link:{name}:b>a"));
    }

    public EventScheduler Scheduler { get; }
    public string Name { get; }
    public SimPort A { get; }
    public SimPort B { get; }
    public SimLinkDirection AToB { get; }
    public SimLinkDirection BToA { get; }

    /// <summary>Carrier: false while the link is <see cref="LinkState.Down"/>.</summary>
    public bool IsUp => !_down;

    public LinkState State => _down ? LinkState.Down : AToB.IsBlackholed || BToA.IsBlackholed ? LinkState.Blackhole : LinkState.Up;

    /// <summary>Counts link-downs; a frame tagged with an older epoch was on the link when it went down and is lost.</summary>
    internal int DownEpoch { get; private set; }

    /// <summary>The direction in which <paramref name="sender"/> sends.</summary>
    public SimLinkDirection From(SimPort sender) =>
        ReferenceEquals(sender, A) ? AToB : ReferenceEquals(sender, B) ? BToA : throw new ArgumentException($"{sender.Name} is not a port of {Name}");

    /// <summary>Same parameters both ways.</summary>
    public void SetParameters(LinkParameters both) => SetParameters(both, both);

    public void SetParameters(LinkParameters aToB, LinkParameters bToA)
    {
        ArgumentNullException.ThrowIfNull(aToB);
        ArgumentNullException.ThrowIfNull(bToA);
        aToB.Validate();
        bToA.Validate();
        AToB.Parameters = aToB;
        BToA.Parameters = bToA;
    }

    /// <summary>Takes the link down (see the class remarks); no-op when already down.</summary>
    public void Down()
    {
        if (_down) return;
        _down = true;
        DownEpoch++;
        AToB.OnLinkDown();
        BToA.OnLinkDown();
        A.RaiseLinkStateChanged(false);
        B.RaiseLinkStateChanged(false);
    }

    /// <summary>Carrier back and blackholes cleared, in both directions.</summary>
    public void Up()
    {
        Restore();
        CarrierUp();
    }

    /// <summary>Blackholes cleared in both directions; the carrier stays as it is.</summary>
    public void Restore()
    {
        AToB.IsBlackholed = false;
        BToA.IsBlackholed = false;
    }

    /// <summary>Carrier back; a blackhole stays (a failover scenario's <c>up</c> undoes its <c>down</c>, not a <c>blackhole</c>).</summary>
    public void CarrierUp()
    {
        if (!_down) return;
        _down = false;
        A.RaiseLinkStateChanged(true);
        B.RaiseLinkStateChanged(true);
    }

    /// <summary>Blackholes both directions.</summary>
    public void Blackhole()
    {
        AToB.IsBlackholed = true;
        BToA.IsBlackholed = true;
    }

    /// <summary>Blackholes one direction only (the other keeps its state).</summary>
    public void Blackhole(SimLinkDirection direction)
    {
        if (!ReferenceEquals(direction.Link, this)) throw new ArgumentException($"{direction.Name} is not a direction of {Name}");
        direction.IsBlackholed = true;
    }

    public void SetState(LinkState state)
    {
        switch (state)
        {
            case LinkState.Up: Up(); break;
            case LinkState.Down: Down(); break;
            case LinkState.Blackhole: Up(); Blackhole(); break;
            default: throw new ArgumentOutOfRangeException(nameof(state), state, null);
        }
    }

    /// <summary>Runs <paramref name="change"/> on this link at virtual time <paramref name="atNs"/>, e.g. <c>link.At(t, l => l.Down())</c>.</summary>
    public ScheduledEvent At(long atNs, Action<SimLink> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Scheduler.Schedule(atNs, () => change(this));
    }

    /// <summary>Adds an observer to both directions.</summary>
    public void AddObserver(ISimLinkObserver observer)
    {
        AToB.AddObserver(observer);
        BToA.AddObserver(observer);
    }

    private SimPort CreatePort(SimPortOptions? options, string defaultName, int mtu, SimHost? host)
    {
        var name = options?.Name ?? defaultName;
        var mac = options?.MacAddress ?? MacFromName(name);
        return new SimPort(this, name, options?.Mtu ?? mtu, mac, host);
    }

    // A stable, locally administered unicast address (02:..) derived from the port's name: the same names give the
    // same addresses in every run, so captures of two runs compare byte for byte.
    internal static byte[] MacFromName(string name)
    {
        var h = 14695981039346656037UL;
        foreach (var c in name) h = (h ^ c) * 1099511628211UL;
        return [0x02, (byte)(h >> 32), (byte)(h >> 24), (byte)(h >> 16), (byte)(h >> 8), (byte)h];
    }

    public override string ToString() => $"{Name} ({A.Name} <-> {B.Name}, {State})";
}
