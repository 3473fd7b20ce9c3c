using System.Net;
using Akka;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;
using IoTcp = Akka.IO.Tcp;
using StreamTcp = Akka.Streams.Dsl.Tcp;

namespace MptcpActors.Actors.Streams;

/// <summary>
/// A listening port as a source of incoming connections: Bind at the node's manager (pull mode, so each accepted
/// connection waits for its flow to be materialized before data is read), one element per connection. Connections
/// accepted while downstream is not pulling wait in a backlog; beyond it they are aborted, as a full listen queue
/// refuses. Cancelling the source, or <see cref="StreamTcp.ServerBinding.Unbind"/>, unbinds the port.
/// </summary>
internal sealed class BindStage(IActorRef manager, EndPoint endpoint, int backlog, IEnumerable<Inet.SocketOption>? options)
    : GraphStageWithMaterializedValue<SourceShape<StreamTcp.IncomingConnection>, Task<StreamTcp.ServerBinding>>
{
    private IActorRef Manager { get; } = manager;
    private EndPoint Endpoint { get; } = endpoint;
    private int Backlog { get; } = backlog;
    private IEnumerable<Inet.SocketOption>? Options { get; } = options;

    public Outlet<StreamTcp.IncomingConnection> Out { get; } = new("mptcp.bind.out");
    public override SourceShape<StreamTcp.IncomingConnection> Shape => new(Out);

    public override ILogicAndMaterializedValue<Task<StreamTcp.ServerBinding>> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var bound = new TaskCompletionSource<StreamTcp.ServerBinding>(TaskCreationOptions.RunContinuationsAsynchronously);
        return new LogicAndMaterializedValue<Task<StreamTcp.ServerBinding>>(new Logic(this, bound), bound.Task);
    }

    private sealed class UnbindRequest
    {
        public static readonly UnbindRequest Instance = new();
    }

    private sealed class Logic : GraphStageLogic
    {
        private readonly BindStage _stage;
        private readonly TaskCompletionSource<StreamTcp.ServerBinding> _bound;
        private readonly TaskCompletionSource _unbound = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Queue<(StreamTcp.IncomingConnection Incoming, IActorRef Connection)> _waiting = new();
        private StageActor _self = null!;
        private bool _unbinding;

        public Logic(BindStage stage, TaskCompletionSource<StreamTcp.ServerBinding> bound) : base(stage.Shape)
        {
            _stage = stage;
            _bound = bound;
            SetHandler(stage.Out, onPull: OnPull, onDownstreamFinish: _ => Unbind());
        }

        public override void PreStart()
        {
            SetKeepGoing(true); // until the manager confirms the Unbind
            _self = GetStageActor(OnMessage);
            _stage.Manager.Tell(new IoTcp.Bind(_self.Ref, _stage.Endpoint, _stage.Backlog, _stage.Options, pullMode: true), _self.Ref);
        }

        public override void PostStop()
        {
            _bound.TrySetException(new StreamTcpException($"the listener on {_stage.Endpoint} stopped before it was bound"));
            _unbound.TrySetResult();
        }

        private void OnMessage((IActorRef Sender, object Message) args)
        {
            switch (args.Message)
            {
                case IoTcp.Bound b:
                    var self = _self.Ref;
                    _bound.TrySetResult(new StreamTcp.ServerBinding(b.LocalAddress, () =>
                    {
                        self.Tell(UnbindRequest.Instance);
                        return _unbound.Task;
                    }));
                    break;
                case IoTcp.CommandFailed:
                    var failure = new StreamTcpException($"MPTCP bind to {_stage.Endpoint} failed: the port is taken or not valid");
                    _bound.TrySetException(failure);
                    FailStage(failure);
                    break;
                case IoTcp.Connected c:
                    Accept(args.Sender, c);
                    break;
                case UnbindRequest:
                    Unbind();
                    break;
                case IoTcp.Unbound:
                    while (_waiting.TryDequeue(out var refused)) refused.Connection.Tell(IoTcp.Abort.Instance, _self.Ref);
                    _unbound.TrySetResult();
                    CompleteStage();
                    break;
            }
        }

        private void Accept(IActorRef connection, IoTcp.Connected c)
        {
            if (_unbinding || _waiting.Count >= _stage.Backlog)
            {
                connection.Tell(IoTcp.Abort.Instance, _self.Ref);
                return;
            }
            var flow = Flow.FromGraph(new ConnectionStage(connection, c)).MapMaterializedValue(_ => NotUsed.Instance);
            var incoming = new StreamTcp.IncomingConnection(c.LocalAddress, c.RemoteAddress, flow);
            if (IsAvailable(_stage.Out)) Push(_stage.Out, incoming);
            else _waiting.Enqueue((incoming, connection));
        }

        private void OnPull()
        {
            if (_waiting.TryDequeue(out var next)) Push(_stage.Out, next.Incoming);
        }

        private void Unbind()
        {
            if (_unbinding) return;
            _unbinding = true;
            _stage.Manager.Tell(IoTcp.Unbind.Instance, _self.Ref);
        }
    }
}
