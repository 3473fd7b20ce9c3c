using Akka.Actor;
using Akka.IO;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Stack;

/// <summary>
/// The one Akka.IO Write a connection or subflow actor holds while its core has no room for all of it (Akka.IO allows
/// one write at a time; the actor fails a second). Compacted once, so each time the window opens the core copies straight
/// from one buffer; what the core took moves an offset in place, not a new holder per partial write.
/// </summary>
internal sealed class PendingWrite(TcpMsg.Write write, IActorRef sender)
{
    private readonly ByteString _data = write.Data.Compact();
    private int _offset;

    /// <summary>
    /// Akka.IO's one write at a time: <paramref name="write"/> becomes the held one, unless one is held already or a close
    /// was asked for; then its sender gets CommandFailed and false is returned.
    /// </summary>
    public static bool TryHold(ref PendingWrite? pending, bool closing, TcpMsg.Write write, IActorRef sender)
    {
        if (pending is not null || closing)
        {
            sender.Tell(new TcpMsg.CommandFailed(write));
            return false;
        }
        pending = new PendingWrite(write, sender);
        return true;
    }

    /// <summary>What the core has not taken yet.</summary>
    public ReadOnlySpan<byte> Rest => _offset == _data.Count ? default : _data.ToReadOnlySpan()[_offset..];

    /// <summary>Notes that the core took <paramref name="taken"/> bytes; when they were the rest, acks the writer (unless NoAck) and returns true.</summary>
    public bool Advance(int taken)
    {
        _offset += taken;
        if (_offset < _data.Count) return false;
        if (write.Ack is not TcpMsg.NoAck) sender.Tell(write.Ack);
        return true;
    }
}
