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
}
