using CsCheck;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests;

public delegate MptcpOptionError OptionReader<T>(ReadOnlySpan<byte> raw, out T value);

/// <summary>build → serialize → parse is the identity for every MPTCP option.</summary>
public class MptcpOptionPropertyTests
{
    private const int Iterations = 20_000;

    private static void RoundTrips<T>(Gen<T> gen, OptionReader<T> read) where T : struct, IMptcpOption => gen.Sample(option =>
    {
        var buffer = new byte[option.Length + 8];
        option.WriteTo(buffer);
        var raw = buffer.AsSpan(0, option.Length);
        Assert.Equal(MptcpOptionHeader.Kind, raw[0]);
        Assert.Equal(option.Length, raw[1]);
        Assert.Equal(option.Subtype, MptcpOptionHeader.SubtypeOf(raw));
        Assert.Equal(MptcpOptionError.None, MptcpOptionHeader.Validate(raw));
        Assert.Equal(MptcpOptionError.None, read(raw, out var parsed));
        Assert.Equal(option, parsed);
        // Through a whole options area too, padded as Linux pads it.
        var area = new byte[40];
        var writer = new TcpOptionWriter(area);
        Assert.True(writer.TryWrite(option));
        var n = writer.Finish();
        var reader = new TcpOptionReader(area.AsSpan(0, n));
        Assert.True(reader.MoveNext());
        Assert.Equal(TcpOptionKind.Mptcp, reader.Current.Kind);
        Assert.True(reader.Current.Raw.SequenceEqual(raw));
        while (reader.MoveNext()) Assert.Equal(TcpOptionKind.NoOperation, reader.Current.Kind);
        Assert.Equal(TcpOptionError.None, reader.Error);
    }, iter: Iterations);

    [Fact] public void MpCapable() => RoundTrips(MptcpOptionGenerators.MpCapable, MpCapableOption.Read);
    [Fact] public void MpJoin() => RoundTrips(MptcpOptionGenerators.MpJoin, MpJoinOption.Read);
    [Fact] public void Dss() => RoundTrips(MptcpOptionGenerators.Dss, DssOption.Read);
    [Fact] public void AddAddr() => RoundTrips(MptcpOptionGenerators.AddAddr, AddAddrOption.Read);
    [Fact] public void RemoveAddr() => RoundTrips(MptcpOptionGenerators.RemoveAddr.Where(r => r.Count <= 37), RemoveAddrOption.Read);
    [Fact] public void MpPrio() => RoundTrips(MptcpOptionGenerators.MpPrio, MpPrioOption.Read);
    [Fact] public void MpFail() => RoundTrips(MptcpOptionGenerators.MpFail, MpFailOption.Read);
    [Fact] public void MpFastClose() => RoundTrips(MptcpOptionGenerators.MpFastClose, MpFastCloseOption.Read);
    [Fact] public void MpTcpRst() => RoundTrips(MptcpOptionGenerators.MpTcpRst, MpTcpRstOption.Read);

    [Fact]
    public void Dss_length_follows_the_flags_as_rfc8684_figure_9()
    {
        Assert.Equal(4, DssOption.Create(dataFin: false).Length);
        Assert.Equal(8, DssOption.Create(dataAck: 1, ack64: false).Length);
        Assert.Equal(12, DssOption.Create(dataAck: 1).Length);
        Assert.Equal(18, DssOption.Create(dataAck: 1, dsn: 5, dsn64: false, ack64: false).Length);
        Assert.Equal(28, DssOption.Create(dataAck: 1, dsn: 5, checksum: 7).Length);
        Assert.Equal(26, DssOption.Create(dataAck: 1, dsn: 5).Length);
    }
}
