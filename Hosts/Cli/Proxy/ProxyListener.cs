using System.Net;
using Akka.Actor;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Proxy;

/// <summary>The proxy's Bind handler: every accepted connection gets its own <see cref="Relay"/> (keep-open: it never stops accepting).</summary>
public sealed class ProxyListener : ReceiveActor
{
    public ProxyListener(IPEndPoint target, ProxyStats? stats) =>
        Receive<TcpMsg.Connected>(c => Context.ActorOf(Props.Create(() => new Relay(target, stats))).Forward(c));
}
