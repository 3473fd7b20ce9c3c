using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// The ARP / neighbour cache of one interface (RFC 826, RFC 4861), sans-I/O: entries expire, unresolved next hops
/// hold a bounded queue of frames that leave once the answer comes, and requests are retried at most once a second.
/// </summary>
public sealed class NeighborTable(long lifetimeNs = 60_000_000_000, long retryNs = 1_000_000_000, int maxQueuedPerHop = 64)
{
    private sealed class Entry
    {
        public byte[]? Mac;
        public long ExpiresNs;
        public long? LastRequestNs;
        public Queue<byte[]>? Waiting;
    }

    private readonly Dictionary<IpAddressBytes, Entry> _entries = [];

    public int Count => _entries.Count;

    public byte[]? Lookup(IpAddressBytes ip, long nowNs) =>
        _entries.TryGetValue(ip, out var e) && e.Mac is not null && e.ExpiresNs > nowNs ? e.Mac : null;

    /// <summary>
    /// Queues a frame for a next hop without a MAC yet (dropping the oldest when full); returns whether a request
    /// should be sent now.
    /// </summary>
    public bool Enqueue(IpAddressBytes ip, byte[] frame, long nowNs)
    {
        if (!_entries.TryGetValue(ip, out var e)) _entries[ip] = e = new Entry();
        e.Waiting ??= new Queue<byte[]>();
        if (e.Waiting.Count >= maxQueuedPerHop) e.Waiting.Dequeue();
        e.Waiting.Enqueue(frame);
        if (e.LastRequestNs is { } last && nowNs - last < retryNs) return false;
        e.LastRequestNs = nowNs;
        return true;
    }

    /// <summary>Records a mapping; returns the frames that were waiting for it (their destination MAC still to be filled).</summary>
    public IReadOnlyCollection<byte[]> Learn(IpAddressBytes ip, byte[] mac, long nowNs)
    {
        if (!_entries.TryGetValue(ip, out var e)) _entries[ip] = e = new Entry();
        e.Mac = mac;
        e.ExpiresNs = nowNs + lifetimeNs;
        if (e.Waiting is not { Count: > 0 } waiting) return [];
        e.Waiting = null;
        return waiting;
    }

    /// <summary>Forgets every mapping and the frames waiting for one (the carrier went, see <see cref="CarrierChanged"/>).</summary>
    public void Clear() => _entries.Clear();

    /// <summary>
    /// Forgets when each next hop was last asked for, so the next <see cref="DueRetries"/> asks for every one with
    /// frames waiting (the carrier came back: the requests sent meanwhile went into a dead link).
    /// </summary>
    public void ForgetRequests()
    {
        foreach (var e in _entries.Values) e.LastRequestNs = null;
    }

    /// <summary>Next hops whose requests went unanswered past the retry time with frames still waiting.</summary>
    public IEnumerable<IpAddressBytes> DueRetries(long nowNs)
    {
        foreach (var (ip, e) in _entries)
        {
            if (e.Waiting is { Count: > 0 } && (e.LastRequestNs is not { } last || nowNs - last >= retryNs))
            {
                e.LastRequestNs = nowNs;
                yield return ip;
            }
        }
    }
}
