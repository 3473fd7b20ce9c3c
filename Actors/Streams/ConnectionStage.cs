using Akka;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;
using IoTcp = Akka.IO.Tcp;
using StreamTcp = Akka.Streams.Dsl.Tcp;

namespace MptcpActors.Actors.Streams;

/// <summary>
/// One MPTCP connection as a flow of bytes, over the connection actor's Akka.IO protocol with backpressure both ways:
/// an element is pulled from upstream only once the engine acknowledged the previous Write (it took it into its send
/// buffer), and the connection is asked for data (pull mode's ResumeReading) only when downstream pulls, so unread
/// data waits in the connection's reassembly buffer and its window holds the peer back.
/// Upstream completion sends DATA_FIN after the data (ConfirmedClose; reading goes on until the peer's DATA_FIN);
/// downstream cancellation discards what still arrives; the stage ends with the connection. Outgoing: it sends the
/// Connect itself; incoming: it registers with a connection a listener accepted (materializable once).
/// </summary>
internal sealed class ConnectionStage : GraphStageWithMaterializedValue<FlowShape<ByteString, ByteString>, Task<StreamTcp.OutgoingConnection>>
{
    private readonly IActorRef? _manager;
    private readonly IoTcp.Connect? _connect;
    private readonly IActorRef? _accepted;
    private readonly IoTcp.Connected? _acceptedInfo;
    private int _materialized;

    /// <summary>An outgoing connection: <paramref name="connect"/> goes to the node's manager (it must ask for pull mode).</summary>
    public ConnectionStage(IActorRef manager, IoTcp.Connect connect)
    {
        _manager = manager;
        _connect = connect;
        Shape = new FlowShape<ByteString, ByteString>(In, Out);
    }

    /// <summary>A connection a listener accepted in pull mode, not yet registered.</summary>
    public ConnectionStage(IActorRef connection, IoTcp.Connected connected)
    {
        _accepted = connection;
        _acceptedInfo = connected;
        Shape = new FlowShape<ByteString, ByteString>(In, Out);
    }

    public Inlet<ByteString> In { get; } = new("mptcp.connection.in");
    public Outlet<ByteString> Out { get; } = new("mptcp.connection.out");
    public override FlowShape<ByteString, ByteString> Shape { get; }

    public override ILogicAndMaterializedValue<Task<StreamTcp.OutgoingConnection>> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var connected = new TaskCompletionSource<StreamTcp.OutgoingConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task<StreamTcp.OutgoingConnection>>(new Logic(this, connected), connected.Task);
    }

    private sealed class WriteAck : IoTcp.Event
    {
        public static readonly WriteAck Instance = new();
    }

    private sealed class Logic : GraphStageLogic
    {
        private readonly ConnectionStage _stage;
        private readonly TaskCompletionSource<StreamTcp.OutgoingConnection> _connected;
        private StageActor _self = null!;
        private IActorRef _connection = ActorRefs.Nobody;
        private bool _writing;
        private bool _upstreamDone;
        private bool _outputClosed;
        private bool _draining;
        private bool _closedEventSeen;

        public Logic(ConnectionStage stage, TaskCompletionSource<StreamTcp.OutgoingConnection> connected) : base(stage.Shape)
        {
            _stage = stage;
            _connected = connected;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: OnUpstreamFinish, onUpstreamFailure: OnUpstreamFailure);
            SetHandler(stage.Out, onPull: OnPull, onDownstreamFinish: _ => OnDownstreamFinish());
        }

        private bool IsConnected => !_connection.IsNobody();

        public override void PreStart()
        {
            // The stage lives until the connection reports its end, even after both ports closed: a half-closed
            // connection still has to finish sending.
            SetKeepGoing(true);
            _self = GetStageActor(OnMessage);
            if (_stage._connect is { } connect)
            {
                _stage._manager!.Tell(connect, _self.Ref);
                return;
            }
            if (Interlocked.Exchange(ref _stage._materialized, 1) == 1)
            {
                Fail(new InvalidOperationException("an incoming connection's flow can be materialized only once"));
                return;
            }
            OnConnected(_stage._accepted!, _stage._acceptedInfo!);
        }

        public override void PostStop() =>
            _connected.TrySetException(new StreamTcpException("the stream stopped before the connection was established"));

        private void OnConnected(IActorRef connection, IoTcp.Connected c)
        {
            _connection = connection;
            _self.Watch(connection);
            connection.Tell(new IoTcp.Register(_self.Ref, keepOpenOnPeerClosed: true, useResumeWriting: false), _self.Ref);
            _connected.TrySetResult(new StreamTcp.OutgoingConnection(c.RemoteAddress, c.LocalAddress));
            if (_upstreamDone) CloseOutput();
            else Pull(_stage.In);
            if (IsClosed(_stage.Out)) StartDraining();
            else if (IsAvailable(_stage.Out)) connection.Tell(IoTcp.ResumeReading.Instance, _self.Ref);
        }

        private void OnMessage((IActorRef Sender, object Message) args)
        {
            switch (args.Message)
            {
                case IoTcp.Connected c when !IsConnected:
                    OnConnected(args.Sender, c);
                    break;
                case IoTcp.CommandFailed f:
                    Fail(new StreamTcpException($"MPTCP {f.Cmd.GetType().Name} failed{(f.Cmd is IoTcp.Connect connect ? $" to {connect.RemoteAddress}" : "")}"));
                    break;
                case IoTcp.Received r:
                    if (_draining || IsClosed(_stage.Out)) _connection.Tell(IoTcp.ResumeReading.Instance, _self.Ref);
                    else Push(_stage.Out, r.Data);
                    break;
                case WriteAck:
                    _writing = false;
                    if (_upstreamDone) CloseOutput();
                    else if (!HasBeenPulled(_stage.In) && !IsClosed(_stage.In)) Pull(_stage.In);
                    break;
                case IoTcp.PeerClosed:
                    if (!IsClosed(_stage.Out)) Complete(_stage.Out);
                    break;
                case IoTcp.ConfirmedClosed or IoTcp.Closed:
                    _closedEventSeen = true;
                    CompleteStage();
                    break;
                case IoTcp.Aborted:
                    _closedEventSeen = true;
                    Fail(new StreamTcpException("the MPTCP connection was aborted"));
                    break;
                case IoTcp.ErrorClosed e:
                    _closedEventSeen = true;
                    Fail(new StreamTcpException($"the MPTCP connection closed with an error: {e.Cause}"));
                    break;
                case Terminated t when t.ActorRef.Equals(_connection) && !_closedEventSeen:
                    Fail(new StreamTcpException("the MPTCP connection actor stopped"));
                    break;
            }
        }

        private void OnPush()
        {
            var data = Grab(_stage.In);
            // An empty element writes nothing; it only passes once everything before it was taken (MptcpStream's flush).
            if (data.IsEmpty)
            {
                Pull(_stage.In);
                return;
            }
            _writing = true;
            _connection.Tell(IoTcp.Write.Create(data, WriteAck.Instance), _self.Ref);
        }

        private void OnUpstreamFinish()
        {
            _upstreamDone = true;
            if (IsConnected && !_writing) CloseOutput();
        }

        private void OnUpstreamFailure(Exception e)
        {
            if (IsConnected) _connection.Tell(IoTcp.Abort.Instance, _self.Ref);
            Fail(e);
        }

        private void OnPull()
        {
            if (IsConnected) _connection.Tell(IoTcp.ResumeReading.Instance, _self.Ref);
        }

        private void OnDownstreamFinish()
        {
            if (IsConnected) StartDraining();
            if (_upstreamDone && !_writing && IsConnected) CloseOutput();
        }

        /// <summary>DATA_FIN after the data: ConfirmedClose while we still read (the peer may go on sending), else Close.</summary>
        private void CloseOutput()
        {
            if (_outputClosed) return;
            _outputClosed = true;
            _connection.Tell(IsClosed(_stage.Out) ? IoTcp.Close.Instance : IoTcp.ConfirmedClose.Instance, _self.Ref);
        }

        /// <summary>Nobody reads any more: keep taking data off the connection so its close can complete.</summary>
        private void StartDraining()
        {
            if (_draining) return;
            _draining = true;
            _connection.Tell(IoTcp.ResumeReading.Instance, _self.Ref);
        }

        private void Fail(Exception e)
        {
            _connected.TrySetException(e);
            FailStage(e);
        }
    }
}
