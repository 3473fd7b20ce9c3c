using System.Buffers;
using Akka.Actor;
using MptcpActors.Actors.Interface;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Sim;

/// <summary>
/// A host's end of a simulated link as a device its subflows send into directly, as they do into a raw socket: each
/// frame goes to the <see cref="SimNetworkActor"/> (which alone touches the network) in a pooled buffer that actor gives
/// back once the link has copied it. Without it every segment took a hop through the interface actor and two copies.
/// </summary>
public sealed class SimPortDevice(IActorRef sim, string port, int mtu = SimLink.DefaultMtu) : IFrameDevice
{
    public string Name => port;

    public int Mtu => mtu;

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
        frame.CopyTo(buffer);
        sim.Tell(new SimNetworkActor.PooledFrameOut(port, buffer, frame.Length));
    }

    public void Attach(IFrameReceiver receiver) => sim.Tell(new AttachInterface(port, receiver));
}
