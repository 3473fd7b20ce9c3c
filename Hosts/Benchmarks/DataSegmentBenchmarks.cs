using BenchmarkDotNet.Attributes;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Benchmarks;

[MemoryDiagnoser]
public class DataSegmentBenchmarks
{
    public const int FramesPerInvoke = 1000;
    public const int DssPayloadLength = 1448;

    private byte[] _frame = [];
    private byte[] _buildBuffer = [];
    private byte[] _payload = [];
    private byte[] _dssPayload = [];

    [GlobalSetup]
    public void Setup()
    {
        _payload = DataSegment.CreatePayload(DataSegment.PayloadLength);
        _dssPayload = DataSegment.CreatePayload(DssPayloadLength);
        _frame = new byte[DataSegment.FrameLength];
        if (DataSegment.Build(_frame, _payload) != DataSegment.FrameLength || DataSegment.Parse(_frame) == 0)
            throw new InvalidOperationException("the benchmark frame does not round-trip");
        _buildBuffer = new byte[DataSegment.FrameLength];
    }

    /// <summary>Per frame: Ethernet → IPv4 → TCP → option walk → timestamps and DSS.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public ulong ParseDataSegment()
    {
        ReadOnlySpan<byte> frame = _frame;
        ulong acc = 0;
        for (var i = 0; i < FramesPerInvoke; i++) acc += DataSegment.Parse(frame);
        return acc;
    }

    /// <summary>The same frame written into a preallocated buffer: headers, options, payload copy, DSS, IPv4 and TCP checksums.</summary>
    [Benchmark]
    public int BuildDataSegment() => DataSegment.Build(_buildBuffer, _payload);

    [Benchmark]
    public ushort DssChecksum() =>
        MptcpCrypto.DssChecksum(DataSegment.Dsn, DataSegment.SubflowSeq, DssPayloadLength, 0, _dssPayload);

    /// <summary>TCP checksum (IPv4 pseudo-header + 1480-byte segment) of the parsed frame.</summary>
    [Benchmark]
    public ushort TcpChecksum() =>
        InternetChecksum.Transport(DataSegment.SourceIp, DataSegment.DestinationIp, (byte)IpProtocol.Tcp,
            _frame.AsSpan(DataSegment.TcpOffset, DataSegment.SegmentLength));
}
