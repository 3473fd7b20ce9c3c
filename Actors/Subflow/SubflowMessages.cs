using MptcpActors.Actors.Stack;

namespace MptcpActors.Actors.Subflow;

/// <summary>A TCP segment (header, options, payload) from the interface to the subflow that owns its 4-tuple.</summary>
public sealed record SegmentIn(byte[] Segment);

/// <summary>A TCP segment from a subflow for its interface to frame and send.</summary>
public sealed record SegmentOut(TcpFlowKey Key, byte[] Segment);

/// <summary>A subflow actor has stopped: its 4-tuple is free again.</summary>
public sealed record SubflowStopped(TcpFlowKey Key);

/// <summary>ICMP reported a smaller path MTU for this subflow's packets.</summary>
public sealed record PathMtu(int Mtu, int IpHeaderLength);
