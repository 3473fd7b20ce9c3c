using System.Text;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.PathManagement;

/// <summary>The events of Linux's MPTCP generic-netlink family (MPTCP_EVENT_*), as <c>ip mptcp monitor</c> names them.</summary>
public enum PmEventKind
{
    Created,
    Established,
    Closed,
    /// <summary>The peer announced an address (ADD_ADDR received).</summary>
    Announced,
    /// <summary>The peer removed an address (REMOVE_ADDR received).</summary>
    Removed,
    SubflowEstablished,
    SubflowClosed,
    /// <summary>The peer asked for a subflow to be backup or not (MP_PRIO received).</summary>
    SubflowPriority,
    ListenerCreated,
    ListenerClosed,
}

/// <summary>
/// One path-management event, with the attributes the kernel's event carries (token, address ids, addresses, ports,
/// backup flag, error). Subscribers (<see cref="SubscribePathEvents"/>) get every event of the node in the order each
/// connection produced them; <see cref="ToString"/> is the line <c>ip mptcp monitor</c> prints for it.
/// </summary>
public sealed record PmEvent(PmEventKind Kind, uint Token)
{
    public byte? LocalId { get; init; }
    public byte? RemoteId { get; init; }
    public IpAddressBytes? LocalAddress { get; init; }
    public ushort? LocalPort { get; init; }
    public IpAddressBytes? RemoteAddress { get; init; }
    public ushort? RemotePort { get; init; }
    public bool? Backup { get; init; }
    /// <summary>Why a subflow closed or failed (absent on a clean close).</summary>
    public string? Error { get; init; }
    public bool? ServerSide { get; init; }

    public override string ToString()
    {
        var s = new StringBuilder();
        s.Append('[').Append(Name(Kind).PadLeft(16)).Append(']');
        if (Kind is not (PmEventKind.ListenerCreated or PmEventKind.ListenerClosed)) s.Append(" token=").Append(Token.ToString("x8"));
        if (RemoteId is { } r) s.Append(" remid=").Append(r);
        if (LocalId is { } l) s.Append(" locid=").Append(l);
        if (LocalAddress is { } la) s.Append(la.IsIpv6 ? " saddr6=" : " saddr4=").Append(la);
        if (RemoteAddress is { } ra) s.Append(ra.IsIpv6 ? " daddr6=" : " daddr4=").Append(ra);
        if (LocalPort is { } lp) s.Append(" sport=").Append(lp);
        if (RemotePort is { } rp) s.Append(" dport=").Append(rp);
        if (Backup is { } b) s.Append(" backup=").Append(b ? 1 : 0);
        if (Error is { } e) s.Append(" error=").Append(e);
        if (ServerSide is { } ss) s.Append(" server_side=").Append(ss ? 1 : 0);
        return s.ToString();
    }

    private static string Name(PmEventKind kind) => kind switch
    {
        PmEventKind.Created => "CREATED",
        PmEventKind.Established => "ESTABLISHED",
        PmEventKind.Closed => "CLOSED",
        PmEventKind.Announced => "ANNOUNCED",
        PmEventKind.Removed => "REMOVED",
        PmEventKind.SubflowEstablished => "SF_ESTABLISHED",
        PmEventKind.SubflowClosed => "SF_CLOSED",
        PmEventKind.SubflowPriority => "SF_PRIORITY",
        PmEventKind.ListenerCreated => "LISTENER_CREATED",
        _ => "LISTENER_CLOSED",
    };
}
