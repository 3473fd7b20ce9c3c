using Akka.Actor;
using MptcpActors.Transport.Devices;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// Owns real frame devices (raw sockets, TUN) by port name: frames to send come as <see cref="FrameOut"/>; frames
/// received go, on the device's own I/O thread, to the receiver an interface attached. Devices are disposed when
/// the actor stops.
/// </summary>
public sealed class DeviceActor(IReadOnlyDictionary<string, IFrameDevice> devices) : UntypedActor
{
    public static Props Props(IReadOnlyDictionary<string, IFrameDevice> devices) => Akka.Actor.Props.Create(() => new DeviceActor(devices));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case FrameOut f when devices.TryGetValue(f.Port, out var d):
                d.Transmit(f.Frame);
                break;
            case AttachInterface a when devices.TryGetValue(a.Port, out var d):
                d.Attach(a.Receiver);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PostStop()
    {
        foreach (var d in devices.Values) (d as IDisposable)?.Dispose();
    }
}
