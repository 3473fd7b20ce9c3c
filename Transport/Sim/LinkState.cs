namespace MptcpActors.Transport.Sim;

/// <summary>State of a <see cref="SimLink"/> as a whole.</summary>
public enum LinkState
{
    /// <summary>Frames flow (subject to the parameters).</summary>
    Up,
    /// <summary>No carrier: frames are dropped, queued and in-flight frames are lost, both ports report the link down.</summary>
    Down,
    /// <summary>At least one direction drops every frame silently while both ports still report the link up.</summary>
    Blackhole,
}
