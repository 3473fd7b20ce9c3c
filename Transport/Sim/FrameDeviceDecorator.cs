using MptcpActors.Transport.Devices;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// Base of the wrappers that stack on any <see cref="IFrameDevice"/> (smoltcp's phy middleware in spirit): it is
/// itself a device whose Transmit goes down through <see cref="OnTransmit"/> and whose received frames come up through
/// <see cref="OnReceive"/>, named with the wrapper (receivers see the outermost device). Attaches to the inner device
/// at construction. Passes carrier state through when the inner device reports it.
/// </summary>
public abstract class FrameDeviceDecorator : IFrameDevice, IFrameReceiver, ILinkStatus
{
    private Action<IFrameDevice, bool>? _linkStateChanged;

    protected FrameDeviceDecorator(IFrameDevice inner)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        inner.Attach(this);
        if (inner is ILinkStatus status) status.LinkStateChanged += (_, up) => _linkStateChanged?.Invoke(this, up);
    }

    public IFrameDevice Inner { get; }
    public IFrameReceiver? Receiver { get; private set; }
    public virtual string Name => Inner.Name;
    public int Mtu => Inner.Mtu;

    /// <summary>True when the inner device says so or cannot tell.</summary>
    public bool IsLinkUp => Inner is not ILinkStatus s || s.IsLinkUp;

    public event Action<IFrameDevice, bool>? LinkStateChanged
    {
        add => _linkStateChanged += value;
        remove => _linkStateChanged -= value;
    }

    public void Transmit(ReadOnlySpan<byte> frame) => OnTransmit(frame);

    public void Attach(IFrameReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        if (Receiver is not null && !ReferenceEquals(Receiver, receiver))
            throw new InvalidOperationException($"{Name} already has a receiver ({Receiver.GetType().Name})");
        Receiver = receiver;
    }

    void IFrameReceiver.Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs) => OnReceive(frame, timeNs);

    /// <summary>The inner device's batches, when every frame comes up during the call that received it (not delayed).</summary>
    public virtual bool DeliversBatches => Inner.DeliversBatches;

    void IFrameReceiver.EndOfBatch(IFrameDevice device) => Receiver?.EndOfBatch(this);

    /// <summary>A frame going down; the default passes it to the inner device.</summary>
    protected virtual void OnTransmit(ReadOnlySpan<byte> frame) => Inner.Transmit(frame);

    /// <summary>A frame coming up; the default passes it to the receiver.</summary>
    protected virtual void OnReceive(ReadOnlySpan<byte> frame, long timeNs) => Deliver(frame, timeNs);

    /// <summary>Hands a frame to the receiver as coming from this device (dropped when nothing is attached).</summary>
    protected void Deliver(ReadOnlySpan<byte> frame, long timeNs) => Receiver?.Receive(this, frame, timeNs);
}
