using System.Security.Cryptography;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Tests.Stack;

/// <summary>
/// A bulk transfer between two TcpStacks over one simulated link, in virtual time: the client sends a seeded byte
/// stream and closes; the server hashes what it reads and closes when the client's FIN arrives.
/// </summary>
public sealed class SimTransfer
{
    public static readonly IpAddressBytes ClientAddress = new([10, 0, 0, 1]);
    public static readonly IpAddressBytes ServerAddress = new([10, 0, 0, 2]);

    public SimNetwork Net { get; }
    public SimLink Link { get; }
    public TcpStack Client { get; }
    public TcpStack Server { get; }
    public Sender Source { get; }
    public Receiver Sink { get; } = new();

    public SimTransfer(ulong seed, LinkParameters parameters, long bytes, TcpCoreOptions? options = null, LinkParameters? reverse = null)
    {
        Net = new SimNetwork(seed);
        Link = Net.Link("path", "client", "server", parameters, reverse);
        var timers = new SimTimerService(Net.Scheduler);
        var o = options ?? new TcpCoreOptions();
        var isn = new IsnGenerator(BitConverter.GetBytes(seed));
        var clientPort = Net.Host("client").Port("path");
        var serverPort = Net.Host("server").Port("path");
        var serverMac = serverPort.MacAddress.ToArray();
        var clientMac = clientPort.MacAddress.ToArray();
        Client = new TcpStack(clientPort, clientMac, ClientAddress, _ => serverMac, timers, o, isn);
        Server = new TcpStack(serverPort, serverMac, ServerAddress, _ => clientMac, timers, o, isn);
        Server.Listen(80, _ => new AcceptDecision(Sink), s => Sink.Socket = s);
        Source = new Sender(bytes, seed);
        Source.Socket = Client.Connect(ServerAddress, 80, Source);
    }

    /// <summary>Runs until both ends closed or <paramref name="limitNs"/> of virtual time passed.</summary>
    public bool Run(long limitNs)
    {
        Net.Scheduler.RunUntilIdle(Net.NowNs + limitNs);
        return Source.Closed is not null && Sink.Closed is not null;
    }

    public sealed class Sender : ITcpEvents
    {
        private readonly byte[] _chunk = new byte[64 * 1024];
        private readonly Random _random;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _remaining;
        private int _pending;
        private int _pendingOffset;

        public Sender(long bytes, ulong seed)
        {
            _remaining = bytes;
            _random = new Random((int)seed);
        }

        public TcpSocket Socket { get; set; } = null!;
        public TcpCloseReason? Closed { get; private set; }
        public long EstablishedAtNs { get; private set; } = -1;
        public byte[] Sha256 => _hash.GetCurrentHash();

        public void OnEstablished()
        {
            EstablishedAtNs = Socket.Core.Statistics.SegmentsSent;
            Pump();
        }

        public void OnAcknowledged(long bytes) => Pump();
        public void OnDataReadable() { }
        public void OnPeerClosed() { }
        public void OnClosed(TcpCloseReason reason) => Closed = reason;

        private void Pump()
        {
            while (true)
            {
                if (_pending == 0)
                {
                    if (_remaining == 0)
                    {
                        if (Socket.State is TcpState.Established or TcpState.CloseWait) Socket.Shutdown();
                        return;
                    }
                    _pending = (int)Math.Min(_chunk.Length, _remaining);
                    _pendingOffset = 0;
                    _random.NextBytes(_chunk.AsSpan(0, _pending));
                    _hash.AppendData(_chunk, 0, _pending);
                    _remaining -= _pending;
                }
                var n = Socket.Write(_chunk.AsSpan(_pendingOffset, _pending));
                if (n == 0) return;
                _pending -= n;
                _pendingOffset += n;
            }
        }
    }

    public sealed class Receiver : ITcpEvents
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public TcpSocket? Socket { get; set; }
        public List<byte>? Keep { get; set; }
        public long Received { get; private set; }
        public TcpCloseReason? Closed { get; private set; }
        public byte[] Sha256 => _hash.GetCurrentHash();

        public void OnEstablished() { }
        public void OnAcknowledged(long bytes) { }

        public void OnDataReadable()
        {
            int n;
            while ((n = Socket!.Read(_buffer)) > 0)
            {
                _hash.AppendData(_buffer, 0, n);
                if (Keep is not null) Keep.AddRange(_buffer.AsSpan(0, n).ToArray());
                Received += n;
            }
        }

        public void OnPeerClosed()
        {
            OnDataReadable();
            Socket!.Shutdown();
        }

        public void OnClosed(TcpCloseReason reason) => Closed = reason;
    }
}
