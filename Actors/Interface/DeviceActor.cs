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
                try
                {
                    d.Transmit(f.Frame);
                }
                catch (ArgumentException)
                {
                    // A frame the link cannot carry (larger than its MTU) is lost like on a wire; the device counts it.
                    // Letting it fail this actor would restart it, and a restart disposes every device: the engine would
                    // go deaf and mute for good over one bad frame.
                }
                break;
            case AttachInterface a when devices.TryGetValue(a.Port, out var d):
                d.Attach(a.Receiver);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>A restart (after an unexpected failure) keeps the devices: they are the same ones the new instance gets.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
    }

    protected override void PostStop()
    {
        foreach (var d in devices.Values) (d as IDisposable)?.Dispose();
    }
}
