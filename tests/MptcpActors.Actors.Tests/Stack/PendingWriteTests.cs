using Akka.IO;
using MptcpActors.Actors.Stack;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Stack;

/// <summary>The Write an actor holds while its core's window is shut: taken piece by piece, acked once, nothing allocated per piece.</summary>
public sealed class PendingWriteTests : Akka.TestKit.Xunit2.TestKit
{
    private sealed class Written : TcpMsg.Event;

    /// <summary>A write made of two buffers, as a ByteString concatenation gives one.</summary>
    private static ByteString TwoParts(int each) =>
        ByteString.FromBytes(Enumerable.Range(0, each).Select(i => (byte)i).ToArray()) +
        ByteString.FromBytes(Enumerable.Range(each, each).Select(i => (byte)i).ToArray());

    [Fact]
    public void The_rest_shrinks_by_what_the_core_took_and_the_writer_is_acked_once_at_the_end()
    {
        var ack = new Written();
        var pending = new PendingWrite(TcpMsg.Write.Create(TwoParts(50), ack), TestActor);
        Assert.Equal(100, pending.Rest.Length);
        Assert.False(pending.Advance(30));
        Assert.Equal(70, pending.Rest.Length);
        Assert.Equal(30, pending.Rest[0]);
        Assert.False(pending.Advance(0));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.True(pending.Advance(70));
        Assert.True(pending.Rest.IsEmpty);
        ExpectMsg<Written>(m => Assert.Same(ack, m), TimeSpan.FromSeconds(90));
    }

    [Fact]
    public void A_write_without_ack_is_not_acked_and_an_empty_one_is_done_at_once()
    {
        Assert.True(new PendingWrite(TcpMsg.Write.Create(ByteString.FromBytes([1, 2, 3])), TestActor).Advance(3));
        var empty = new PendingWrite(TcpMsg.Write.Create(ByteString.Empty, new Written()), TestActor);
        Assert.True(empty.Rest.IsEmpty);
        Assert.True(empty.Advance(0));
        ExpectMsg<Written>(TimeSpan.FromSeconds(90));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Taking_a_write_piece_by_piece_allocates_nothing()
    {
        // Each window opening takes a piece: a holder copied per piece (a record's `with`) or a write left in parts
        // (ToReadOnlySpan copies those) would allocate on every one.
        var pending = new PendingWrite(TcpMsg.Write.Create(TwoParts(5000)), TestActor);
        long sum = 0;
        sum += pending.Rest[0];
        pending.Advance(1); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 9000; i++)
        {
            sum += pending.Rest[0];
            pending.Advance(1);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(999, pending.Rest.Length);
        Assert.True(sum > 0);
    }

    [Fact]
    public void One_write_is_held_at_a_time_and_none_after_a_close()
    {
        PendingWrite? pending = null;
        var first = TcpMsg.Write.Create(ByteString.FromBytes([1]));
        Assert.True(PendingWrite.TryHold(ref pending, closing: false, first, TestActor));
        var held = pending;
        var second = TcpMsg.Write.Create(ByteString.FromBytes([2]));
        Assert.False(PendingWrite.TryHold(ref pending, closing: false, second, TestActor));
        Assert.Same(held, pending);
        Assert.Same(second, ExpectMsg<TcpMsg.CommandFailed>(TimeSpan.FromSeconds(90)).Cmd);

        PendingWrite? none = null;
        Assert.False(PendingWrite.TryHold(ref none, closing: true, first, TestActor));
        Assert.Null(none);
        Assert.Same(first, ExpectMsg<TcpMsg.CommandFailed>(TimeSpan.FromSeconds(90)).Cmd);
    }
}
