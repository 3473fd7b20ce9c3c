using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tests.Tcp;

/// <summary>Collects what a core sends and what it reports, for smoltcp-style "given state + segment → expected output" tests.</summary>
public sealed class RecordingSink : ITcpSegmentSink, ITcpEvents
{
    private readonly byte[] _buffer = new byte[70_000];
    public List<byte[]> Sent { get; } = [];
    /// <summary>Per sent segment: the segment size of a super-segment (segmentation offload), else 0.</summary>
    public List<int> SegmentSizes { get; } = [];
    /// <summary>Set to take super-segments up to this many bytes, as a device with segmentation offload.</summary>
    public int MaxOffloadSegmentLength { get; init; }
    public List<string> Events { get; } = [];
    public TcpCloseReason? ClosedWith { get; private set; }
    public long Acked { get; private set; }

    public Span<byte> Rent(int maxLength) => _buffer.AsSpan(0, maxLength);
    public void Send(int length) => Send(length, 0);

    public void Send(int length, int segmentSize)
    {
        Sent.Add(_buffer.AsSpan(0, length).ToArray());
        SegmentSizes.Add(segmentSize);
    }

    public void OnEstablished() => Events.Add("established");
    public void OnDataReadable() => Events.Add("readable");
    public void OnAcknowledged(long bytes) => Acked += bytes;
    public void OnPeerClosed() => Events.Add("peer-closed");
    public void OnClosed(TcpCloseReason reason)
    {
        Events.Add("closed:" + reason);
        ClosedWith = reason;
    }

    public byte[] Last => Sent[^1];
    public List<byte[]> Take()
    {
        var copy = Sent.ToList();
        Sent.Clear();
        SegmentSizes.Clear();
        return copy;
    }
}

/// <summary>Builds segments to feed a core, and reads the ones it sent.</summary>
public static class Seg
{
    public static byte[] Make(uint seq, uint ack, TcpFlags flags, ushort window = 65535, byte[]? payload = null, Action<OptionsBuilder>? options = null,
        ushort sport = 80, ushort dport = 40000)
    {
        var ob = new OptionsBuilder();
        options?.Invoke(ob);
        var opts = ob.Build();
        payload ??= [];
        var b = new byte[20 + opts.Length + payload.Length];
        opts.CopyTo(b, 20);
        payload.CopyTo(b, 20 + opts.Length);
        TcpSegment.WriteHeader(b, sport, dport, seq, ack, flags, window, opts.Length);
        return b;
    }

    public static TcpSegment View(byte[] b)
    {
        Assert.True(TcpSegment.TryParse(b, out var s));
        return s;
    }

    public static (uint Seq, uint Ack, TcpFlags Flags, ushort Window, int Len) Fields(byte[] b)
    {
        var s = View(b);
        return (s.SequenceNumber, s.AcknowledgmentNumber, s.Flags, s.Window, s.Payload.Length);
    }

    public static List<SackBlock> Sack(byte[] b)
    {
        var s = View(b);
        var list = new List<SackBlock>();
        Span<SackBlock> blocks = stackalloc SackBlock[4];
        foreach (var o in s.ReadOptions())
        {
            var n = TcpOptions.ReadSackBlocks(o, blocks);
            for (var i = 0; i < n; i++) list.Add(blocks[i]);
        }
        return list;
    }

    public static bool HasOption(byte[] b, TcpOptionKind kind)
    {
        foreach (var o in View(b).ReadOptions())
            if (o.Kind == kind) return true;
        return false;
    }

    public static (uint Val, uint Ecr)? Timestamps(byte[] b)
    {
        foreach (var o in View(b).ReadOptions())
            if (TcpOptions.TryReadTimestamps(o, out var v, out var e)) return (v, e);
        return null;
    }
}

public sealed class OptionsBuilder
{
    private readonly byte[] _area = new byte[40];
    private int _len;

    public OptionsBuilder Mss(ushort v) => Do((ref TcpOptionWriter w) => w.TryWriteMss(v));
    public OptionsBuilder Ts(uint v, uint e, bool sackPermitted = false) => Do((ref TcpOptionWriter w) => w.TryWriteTimestamps(v, e, sackPermitted));
    public OptionsBuilder SackPermitted() => Do((ref TcpOptionWriter w) => w.TryWriteSackPermitted());
    public OptionsBuilder Ws(byte s) => Do((ref TcpOptionWriter w) => w.TryWriteWindowScale(s));
    public OptionsBuilder Sack(params SackBlock[] blocks) => Do((ref TcpOptionWriter w) => w.WriteSackBlocks(blocks) == blocks.Length);
    public OptionsBuilder Raw(byte[] raw) => Do((ref TcpOptionWriter w) => w.TryWriteRaw(raw));

    private delegate bool WriterStep(ref TcpOptionWriter w);

    private OptionsBuilder Do(WriterStep a)
    {
        var w = new TcpOptionWriter(_area.AsSpan(_len));
        Assert.True(a(ref w));
        _len += w.Length;
        return this;
    }

    public byte[] Build() => _area.AsSpan(0, (_len + 3) & ~3).ToArray();
}
