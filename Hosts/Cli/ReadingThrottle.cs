using Akka.Actor;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli;

/// <summary>
/// Bytes a handler took from a connection and has not passed on yet: past <paramref name="highWater"/> the connection
/// is told to stop reading (SuspendReading: its receive window closes and the peer slows down), at
/// <paramref name="lowWater"/> or below to go on (ResumeReading). The gap between the two keeps it from flapping.
/// </summary>
public sealed class ReadingThrottle(int highWater, int lowWater)
{
    private long _held;
    private bool _suspended;

    public long Held => _held;

    public void Took(IActorRef connection, int bytes)
    {
        _held += bytes;
        if (_suspended || _held <= highWater) return;
        _suspended = true;
        connection.Tell(TcpMsg.SuspendReading.Instance);
    }

    public void PassedOn(IActorRef connection, int bytes)
    {
        _held -= bytes;
        if (!_suspended || _held > lowWater) return;
        _suspended = false;
        connection.Tell(TcpMsg.ResumeReading.Instance);
    }
}
