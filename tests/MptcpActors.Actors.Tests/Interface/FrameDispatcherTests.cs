using System.Collections.Immutable;
using Akka.Actor;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Subflow;
using MptcpActors.Tests.Shared;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tests.Interface;

/// <summary>
/// The receive path from a device's thread to the subflows: segments of one device batch reach their subflow as one
/// message, in order, and nothing is allocated per segment (the batches are pooled).
/// </summary>
[Collection(AllocationMeasurement.Name)]
public sealed class FrameDispatcherTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly byte[] Local = [10, 0, 0, 2];
    private static readonly byte[] Remote = [10, 0, 0, 1];
    private static readonly byte[] Mac = [2, 0, 0, 0, 0, 2];

    /// <summary>A device that says it delivers batches; the test plays its receive thread.</summary>
    private sealed class BatchingDevice : IFrameDevice
    {
        public string Name => "test0";
        public int Mtu => 1500;
        public bool DeliversBatches => true;
        public void Transmit(ReadOnlySpan<byte> frame) { }
        public void Attach(IFrameReceiver receiver) { }
    }

    /// <summary>Reads each batch (sequence numbers in order), gives it back to the pool, counts.</summary>
    private sealed class Consumer : ReceiveActor
    {
        public static int Batches;

        public Consumer(List<uint>? seen) => Receive<SegmentBatch>(b =>
        {
            for (var i = 0; i < b.Count; i++)
                if (TcpSegment.TryParse(b[i], out var s)) seen?.Add(s.SequenceNumber);
            b.Release();
            Interlocked.Increment(ref Batches);
        });
    }

    private static byte[] Frame(uint seq, int payload)
    {
        var room = TcpFraming.HeaderRoom(false);
        var frame = new byte[room + 20 + payload];
        TcpSegment.WriteHeader(frame.AsSpan(room), 1000, 2000, seq, 1, TcpFlags.Ack, 65535, 0);
        var n = TcpFraming.Wrap(frame, Mac, Mac, Remote, Local, 20 + payload, 1);
        Assert.Equal(frame.Length, n);
        return frame;
    }

    private static FrameDispatcher Dispatcher(IActorRef subflow, IActorRef interfaceActor) => new(new LocalAddresses(new IpAddressBytes(Local)), interfaceActor)
    {
        Table = ImmutableDictionary<TcpFlowKey, IActorRef>.Empty.SetItem(
            new TcpFlowKey(new IpAddressBytes(Local), 2000, new IpAddressBytes(Remote), 1000), subflow),
    };

    [Fact]
    public void A_batch_of_segments_reaches_its_subflow_as_one_message_in_order()
    {
        var seen = new List<uint>();
        var consumer = Sys.ActorOf(Props.Create(() => new Consumer(seen)));
        var dispatcher = Dispatcher(consumer, TestActor);
        var device = new BatchingDevice();
        var before = Volatile.Read(ref Consumer.Batches);
        for (uint i = 0; i < 10; i++) dispatcher.Receive(device, Frame(100 + i * 1000, 1000), 0);
        dispatcher.EndOfBatch(device);
        AwaitCondition(() => Volatile.Read(ref Consumer.Batches) > before, TimeSpan.FromSeconds(90));
        AwaitAssert(() => Assert.Equal(Enumerable.Range(0, 10).Select(i => 100u + (uint)i * 1000), seen.ToArray()), TimeSpan.FromSeconds(90));
        Assert.Equal(before + 1, Volatile.Read(ref Consumer.Batches));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // nothing went to the interface actor
    }

    [Fact]
    public void Receiving_batches_allocates_nothing_per_segment()
    {
        var consumer = Sys.ActorOf(Props.Create(() => new Consumer(null)));
        var dispatcher = Dispatcher(consumer, TestActor);
        var device = new BatchingDevice();
        const int perBatch = 64;
        var frames = Enumerable.Range(0, perBatch).Select(i => Frame(100 + (uint)i * 1400, 1400)).ToArray();

        void OneBatch()
        {
            var done = Volatile.Read(ref Consumer.Batches);
            foreach (var f in frames) dispatcher.Receive(device, f, 0);
            dispatcher.EndOfBatch(device);
            // The consumer gives the batch back before the next one is rented: the pool then always has one.
            var deadline = Environment.TickCount64 + 90_000;
            while (Volatile.Read(ref Consumer.Batches) == done && Environment.TickCount64 < deadline) Thread.Sleep(1);
            Assert.True(Volatile.Read(ref Consumer.Batches) != done, "the subflow never got the batch");
        }

        for (var i = 0; i < 20; i++) OneBatch(); // warm up: JIT, the pool, the dictionary, the mailbox
        var least = Allocations.Least(() =>
        {
            for (var i = 0; i < 50; i++) OneBatch();
        }, attempts: 10);
        // A copy or a message per segment would be 64 x 50 of them (over 90 kB even at one byte each).
        Assert.True(least == 0, $"{least} bytes allocated over 50 batches of {perBatch} segments on the receiving thread");
    }
}
