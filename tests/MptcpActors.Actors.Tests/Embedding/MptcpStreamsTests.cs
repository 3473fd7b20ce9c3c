using System.Net;
using System.Security.Cryptography;
using Akka;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Embedding;
using MptcpActors.Actors.Streams;
using StreamTcp = Akka.Streams.Dsl.Tcp;

namespace MptcpActors.Actors.Tests.Embedding;

// Inside MptcpActors.Actors.Tests, 'Mptcp' would be the namespace of the MPTCP core's tests.
using Mptcp = MptcpActors.Actors.Embedding.Mptcp;

/// <summary>
/// The Streams flow and the .NET Stream between the node and its simulated peer: byte-exact both ways, and a reader
/// that does not read holds the sender back (what the sender's source produced stays bounded by the buffers).
/// </summary>
public class MptcpStreamsTests(Xunit.Abstractions.ITestOutputHelper log) : TestKit(SimNodeConfig.Hocon, log)
{
    private readonly Xunit.Abstractions.ITestOutputHelper _log = log;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private const int Chunk = 64 << 10;

    private MptcpExt Ext => Mptcp.Get(Sys);
    private MptcpStreams Peer => new(Ext.SimulatedPeer!);

    /// <summary><paramref name="total"/> bytes of seeded random data in chunks, counting what was produced.</summary>
    private static Source<ByteString, NotUsed> Data(int total, int seed, StrongBox<long> produced, IncrementalHash hash)
    {
        var random = new Random(seed);
        return Source.From(Enumerable.Range(0, total / Chunk)).Select(_ =>
        {
            var b = new byte[Chunk];
            random.NextBytes(b);
            lock (hash) hash.AppendData(b);
            Interlocked.Add(ref produced.Value, b.Length);
            return ByteString.FromBytes(b);
        });
    }

    [Fact]
    public async Task An_outgoing_flow_round_trips_through_an_echoing_listener_byte_exact()
    {
        var binding = await Peer.BindAndHandle(Flow.Create<ByteString>(), Sys.Materializer(), "0.0.0.0", 7101).WaitAsync(Wait);
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var produced = new StrongBox<long>();

        var (connected, done) = Data(4 << 20, 1, produced, sent)
            .ViaMaterialized(Ext.Streams.OutgoingConnection(new IPEndPoint(SimNodeConfig.PeerWifi, 7101)), Keep.Right)
            .ToMaterialized(Sink.Aggregate<ByteString, long>(0L, (n, b) =>
            {
                received.AppendData(b.ToArray());
                return n + b.Count;
            }), Keep.Both)
            .Run(Sys.Materializer());

        var connection = await connected.WaitAsync(Wait);
        Assert.Equal(new IPEndPoint(SimNodeConfig.PeerWifi, 7101), connection.RemoteAddress);
        Assert.Equal(4L << 20, await done.WaitAsync(Wait));
        Assert.Equal(Convert.ToHexString(sent.GetHashAndReset()), Convert.ToHexString(received.GetHashAndReset()));
        await binding.Unbind().WaitAsync(Wait);
    }

    [Fact]
    public async Task A_reader_that_does_not_read_holds_the_sending_flow_back_and_then_gets_every_byte()
    {
        const int total = 16 << 20;
        var accepted = Peer.Bind("0.0.0.0", 7102).RunWith(Sink.Queue<StreamTcp.IncomingConnection>(), Sys.Materializer());
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var produced = new StrongBox<long>();
        var upload = Data(total, 2, produced, sent)
            .Via(Ext.Streams.OutgoingConnection(new IPEndPoint(SimNodeConfig.PeerWifi, 7102)))
            .RunWith(Sink.Ignore<ByteString>(), Sys.Materializer());
        var incoming = (await accepted.PullAsync().WaitAsync(Wait)).Value;
        await using var reader = MptcpStream.Accept(incoming, Sys.Materializer());

        // Nothing is read: the sender's source must stop being pulled once the buffers between are full.
        var stalledAt = await WhenStalled(produced);
        _log.WriteLine($"the sender stalled after producing {stalledAt} of {total} bytes");
        Assert.True(stalledAt <= 6 << 20, $"{stalledAt} bytes produced while nothing was read: not held back");

        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[100_000];
        long count = 0;
        int n;
        while ((n = await reader.ReadAsync(buffer).AsTask().WaitAsync(Wait)) > 0)
        {
            received.AppendData(buffer, 0, n);
            count += n;
        }
        Assert.Equal(total, count);
        Assert.Equal(Convert.ToHexString(sent.GetHashAndReset()), Convert.ToHexString(received.GetHashAndReset()));
        reader.ShutdownOutput();
        await upload.WaitAsync(Wait);
    }

    [Fact]
    public async Task A_writing_stream_is_held_back_by_a_flow_that_does_not_pull_and_then_delivers_every_byte()
    {
        const int total = 16 << 20;
        // The listener's connection flow: what arrives goes to a queue nobody pulls yet (one element of buffer); nothing is sent back.
        var arrived = new TaskCompletionSource<ISinkQueue<ByteString>>();
        var binding = await Peer.Bind("0.0.0.0", 7104).To(Sink.ForEach<StreamTcp.IncomingConnection>(c => arrived.TrySetResult(c.Flow
            .RunWith(Source.Never<ByteString>(), Sink.Queue<ByteString>().WithAttributes(Attributes.CreateInputBuffer(1, 1)), Sys.Materializer()).Item2)))
            .Run(Sys.Materializer()).WaitAsync(Wait);
        await using var writer = await MptcpStream.ConnectAsync(Ext.Streams, Sys.Materializer(), new IPEndPoint(SimNodeConfig.PeerWifi, 7104)).WaitAsync(Wait);
        var data = new byte[total];
        new Random(5).NextBytes(data);
        var written = new StrongBox<long>();
        var writing = Task.Run(async () =>
        {
            for (var offset = 0; offset < total; offset += Chunk)
            {
                await writer.WriteAsync(data.AsMemory(offset, Chunk));
                Interlocked.Add(ref written.Value, Chunk);
            }
            writer.ShutdownOutput();
        });
        var queue = await arrived.Task.WaitAsync(Wait);

        var stalledAt = await WhenStalled(written);
        _log.WriteLine($"the writer stalled after {stalledAt} of {total} bytes");
        Assert.True(stalledAt <= 6 << 20, $"{stalledAt} bytes written while nothing was read: not held back");

        var received = new MemoryStream();
        while ((await queue.PullAsync().WaitAsync(Wait)) is { HasValue: true } next) received.Write(next.Value.ToArray());
        await writing.WaitAsync(Wait);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), Convert.ToHexString(SHA256.HashData(received.ToArray())));
        await binding.Unbind().WaitAsync(Wait);
    }

    /// <summary>
    /// A slow consumer at each end: the bytes waiting between producer and consumer (produced minus consumed, measured at
    /// every read) stay bounded by the buffers and windows in between, however far the producer could run ahead; and
    /// every byte arrives. First a flow sending to a Stream that reads 16 KiB every 5 ms (about half the path's rate),
    /// then a Stream writing to a flow whose consumer takes one element every 5 ms.
    /// </summary>
    [Fact]
    public async Task A_slow_consumer_keeps_the_bytes_waiting_between_the_ends_bounded_both_ways()
    {
        const int total = 8 << 20;
        const long bound = 6 << 20;

        // Flow (sender) -> Stream (slow reader).
        var accepted = Peer.Bind("0.0.0.0", 7105).RunWith(Sink.Queue<StreamTcp.IncomingConnection>(), Sys.Materializer());
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var produced = new StrongBox<long>();
        var upload = Data(total, 6, produced, sent)
            .Via(Ext.Streams.OutgoingConnection(new IPEndPoint(SimNodeConfig.PeerWifi, 7105)))
            .RunWith(Sink.Ignore<ByteString>(), Sys.Materializer());
        await using (var reader = MptcpStream.Accept((await accepted.PullAsync().WaitAsync(Wait)).Value, Sys.Materializer()))
        {
            using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[16 << 10];
            long consumed = 0, mostWaiting = 0;
            int n;
            while ((n = await reader.ReadAsync(buffer).AsTask().WaitAsync(Wait)) > 0)
            {
                received.AppendData(buffer, 0, n);
                consumed += n;
                mostWaiting = Math.Max(mostWaiting, Interlocked.Read(ref produced.Value) - consumed);
                await Task.Delay(5);
            }
            _log.WriteLine($"flow -> slow Stream: at most {mostWaiting} bytes waited between the ends");
            Assert.Equal(total, consumed);
            Assert.Equal(Convert.ToHexString(sent.GetHashAndReset()), Convert.ToHexString(received.GetHashAndReset()));
            Assert.True(mostWaiting <= bound, $"{mostWaiting} bytes waited between a flow and a slow reader: not held back");
            reader.ShutdownOutput();
        }
        await upload.WaitAsync(Wait);

        // Stream (writer) -> flow (slow consumer).
        var arrived = new TaskCompletionSource<Task<(long Count, long MostWaiting, string Sha256)>>();
        var written = new StrongBox<long>();
        var binding = await Peer.Bind("0.0.0.0", 7106).To(Sink.ForEach<StreamTcp.IncomingConnection>(c =>
        {
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long count = 0, most = 0;
            arrived.TrySetResult(c.Flow
                .RunWith(Source.Never<ByteString>(), Flow.Create<ByteString>().SelectAsync(1, async b =>
                {
                    await Task.Delay(5);
                    return b;
                }).ToMaterialized(Sink.ForEach<ByteString>(b =>
                {
                    hash.AppendData(b.ToArray());
                    count += b.Count;
                    most = Math.Max(most, Interlocked.Read(ref written.Value) - count);
                }), Keep.Right), Sys.Materializer()).Item2
                .ContinueWith(_ => (count, most, Convert.ToHexString(hash.GetHashAndReset()))));
        })).Run(Sys.Materializer()).WaitAsync(Wait);
        var data = new byte[total];
        new Random(7).NextBytes(data);
        await using (var writer = await MptcpStream.ConnectAsync(Ext.Streams, Sys.Materializer(), new IPEndPoint(SimNodeConfig.PeerWifi, 7106)).WaitAsync(Wait))
        {
            for (var offset = 0; offset < total; offset += Chunk)
            {
                // Counted before the write: a write that waits is already "produced", as the bound must hold for it too.
                Interlocked.Add(ref written.Value, Chunk);
                await writer.WriteAsync(data.AsMemory(offset, Chunk)).AsTask().WaitAsync(Wait);
            }
            writer.ShutdownOutput();
            var (count, mostWaiting, sha) = await (await arrived.Task.WaitAsync(Wait)).WaitAsync(Wait);
            _log.WriteLine($"Stream -> slow flow: at most {mostWaiting} bytes waited between the ends");
            Assert.Equal(total, count);
            Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), sha);
            Assert.True(mostWaiting <= bound, $"{mostWaiting} bytes waited between a Stream and a slow flow: not held back");
        }
        await binding.Unbind().WaitAsync(Wait);
    }

    [Fact]
    public async Task A_stream_round_trips_through_an_echoing_stream_and_half_closes()
    {
        var accepted = Peer.Bind("0.0.0.0", 7103).RunWith(Sink.Queue<StreamTcp.IncomingConnection>(), Sys.Materializer());
        var echo = Task.Run(async () =>
        {
            var incoming = (await accepted.PullAsync().WaitAsync(Wait)).Value;
            await using var s = MptcpStream.Accept(incoming, Sys.Materializer());
            var b = new byte[50_000];
            int n;
            while ((n = await s.ReadAsync(b)) > 0) await s.WriteAsync(b.AsMemory(0, n));
            await s.FlushAsync();
            s.ShutdownOutput();
        });
        await using var client = await MptcpStream.ConnectAsync(Ext.Streams, Sys.Materializer(), new IPEndPoint(SimNodeConfig.PeerWifi, 7103)).WaitAsync(Wait);
        var data = new byte[3 << 20];
        new Random(3).NextBytes(data);

        var writer = Task.Run(async () =>
        {
            var random = new Random(4);
            for (var offset = 0; offset < data.Length;)
            {
                var n = Math.Min(random.Next(1, 200_000), data.Length - offset);
                await client.WriteAsync(data.AsMemory(offset, n));
                offset += n;
            }
            await client.FlushAsync();
            client.ShutdownOutput();
        });
        var back = new MemoryStream();
        await client.CopyToAsync(back).WaitAsync(Wait);
        await writer.WaitAsync(Wait);
        await echo.WaitAsync(Wait);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), Convert.ToHexString(SHA256.HashData(back.ToArray())));
    }

    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_fails_the_flow_and_its_connection_task()
    {
        var (connected, done) = Source.Empty<ByteString>()
            .ViaMaterialized(Ext.Streams.OutgoingConnection(new IPEndPoint(SimNodeConfig.PeerWifi, 7199)), Keep.Right)
            .ToMaterialized(Sink.Ignore<ByteString>(), Keep.Both)
            .Run(Sys.Materializer());

        await Assert.ThrowsAsync<StreamTcpException>(() => connected.WaitAsync(Wait));
        await Assert.ThrowsAsync<StreamTcpException>(() => done.WaitAsync(Wait));
    }

    /// <summary>What was produced once production stopped growing for 3 s (checked every 250 ms, at most 60 s in all).</summary>
    private static async Task<long> WhenStalled(StrongBox<long> produced)
    {
        var last = -1L;
        var unchangedSince = DateTime.UtcNow;
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            var now = Interlocked.Read(ref produced.Value);
            if (now != last)
            {
                last = now;
                unchangedSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - unchangedSince > TimeSpan.FromSeconds(3)) break;
            await Task.Delay(250);
        }
        return last;
    }
}

/// <summary>A mutable box for a counter shared with a stream's element function.</summary>
public sealed class StrongBox<T>
{
    public T Value = default!;
}
