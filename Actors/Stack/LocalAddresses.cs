using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Stack;

/// <summary>
/// The addresses an interface takes TCP segments for: its own, then the node's others. A peer may reach one of the
/// node's addresses over another interface's link (Linux's subflow endpoints connect to the initial address through
/// their own route), so an interface accepts them all, as a weak host does; replies leave by the interface the
/// subflow lives on, from the address it was opened to.
/// </summary>
public sealed class LocalAddresses
{
    private readonly byte[][] _addresses;

    public LocalAddresses(IpAddressBytes own, IEnumerable<IpAddressBytes>? others = null)
    {
        var all = new List<IpAddressBytes> { own };
        foreach (var o in others ?? []) if (!all.Contains(o) && o.Length == own.Length) all.Add(o);
        _addresses = all.Select(a =>
        {
            var b = new byte[a.Length];
            a.CopyTo(b);
            return b;
        }).ToArray();
    }

    public bool Contains(ReadOnlySpan<byte> address)
    {
        foreach (var a in _addresses)
            if (address.SequenceEqual(a)) return true;
        return false;
    }
}
