using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Mptcp.Scheduling;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>The data level of a connection, driven directly.</summary>
public class MptcpConnectionCoreTests
{
    private const ulong LocalIdsn = 1000, RemoteIdsn = 5000;

    private static MptcpConnectionCore OneSubflow(byte[] data)
    {
        var core = new MptcpConnectionCore(new MptcpConnectionOptions { DataRtoNs = 1_000 }, LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.UpdateSubflow(new SubflowView(1, 1_000, 100_000, 0, 100_000, 1460, false, false, true));
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + 1_000_000, 0);
        Assert.Equal(data.Length, core.Write(data));
        return core;
    }

    private static (ulong Dsn, int Length) Next(MptcpConnectionCore core, long now)
    {
        Span<int> ids = stackalloc int[4];
        return core.NextChunk(ids, out var dsn, out var length, now) == 0 ? (0, 0) : (dsn, length);
    }

    [Fact]
    public void Data_not_acknowledged_in_time_is_resent_at_data_level()
    {
        var core = OneSubflow(new byte[3000]);
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, 0));
        core.OnTimer(core.NextDeadlineNs);
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, core.NextDeadlineNs));
        Assert.Equal(3000, core.BytesReinjected);
    }

    [Fact]
    public void After_falling_back_to_tcp_nothing_is_resent_at_data_level()
    {
        var core = OneSubflow(new byte[3000]);
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, 0));
        core.FallBack();
        // TCP delivers every byte in order now: a resent range would be new bytes in the stream.
        Assert.Equal(long.MaxValue, core.NextDeadlineNs);
        core.OnTimer(1_000_000_000);
        core.RemoveSubflow(1);
        core.AddSubflow(1);
        core.UpdateSubflow(new SubflowView(1, 1_000, 100_000, 0, 100_000, 1460, false, false, true));
        Assert.Equal((0UL, 0), Next(core, 2_000_000_000));
        Assert.Equal(0, core.BytesReinjected);
        // The acknowledgement TCP's ACK stands for frees the buffer as before.
        Assert.Equal(3000, core.OnDataAck(LocalIdsn + 3001, LocalIdsn + 1_000_000, 3_000_000_000));
    }

    [Fact]
    public void A_failed_subflows_data_is_reinjected_in_pieces_in_order_without_copying_the_backlog_per_piece()
    {
        // 16 MiB on subflow 1 in 64 KiB chunks; it goes, and subflow 2 with room for one segment at a time takes it
        // all again: 256 ranges, each cut into 45 pieces, the rest of each put back at the front every time.
        const int Size = 16 << 20;
        var core = new MptcpConnectionCore(new MptcpConnectionOptions { DataRtoNs = 1_000_000_000_000, SendBuffer = Size }, LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + Size, 0);
        Assert.Equal(Size, core.Write(new byte[Size]));
        var first = 0L;
        while (first < Size)
        {
            core.UpdateSubflow(new SubflowView(1, 1_000, 1 << 30, 0, 1 << 30, 1460, false, false, true));
            first += Next(core, 0).Length;
        }
        core.AddSubflow(2);
        core.RemoveSubflow(1);
        var expected = LocalIdsn + 1;
        var inOrder = true;
        var before = GC.GetAllocatedBytesForCurrentThread();
        while (true)
        {
            core.UpdateSubflow(new SubflowView(2, 1_000, 1 << 30, 0, 1460, 1460, false, false, true));
            var (dsn, length) = Next(core, 0);
            if (length == 0) break;
            inOrder &= dsn == expected;
            expected += (ulong)length;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(inOrder, "a piece out of order");
        Assert.Equal(LocalIdsn + 1 + Size, expected);
        Assert.Equal(Size, core.BytesReinjected);
        // What remains is subflow 2's own record of the 11,000-odd pieces (its queue doubling up to 16 Ki entries of 16
        // bytes: about 0.5 MB); a backlog copied per piece was over 20 MB.
        Assert.True(allocated < 1 << 20, $"reinjecting allocated {allocated:N0} bytes");
    }
}
