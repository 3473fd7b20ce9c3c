using Akka.Actor;

namespace MptcpActors.Actors.Interface;

/// <summary>A frame that arrived on a device, for the interface that owns it (the bytes are the receiver's to keep).</summary>
public sealed record FrameIn(byte[] Frame);

/// <summary>A frame for a device to send; <paramref name="Port"/> names the device when one actor serves several.</summary>
public sealed record FrameOut(string Port, byte[] Frame);

/// <summary>Where an interface sends its frames: the actor that owns the device (simulator, raw socket) and the port name.</summary>
public sealed record DeviceRef(IActorRef Actor, string Port);

/// <summary>Asks a device owner to hand the frames arriving on <paramref name="Port"/> to <paramref name="Receiver"/>, on the device's thread.</summary>
public sealed record AttachInterface(string Port, Transport.Devices.IFrameReceiver Receiver);
