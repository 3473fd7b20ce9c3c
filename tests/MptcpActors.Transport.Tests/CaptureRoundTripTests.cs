namespace MptcpActors.Transport.Tests;

public class CaptureRoundTripTests
{
    [Theory]
    [MemberData(nameof(SharedCaptures.Names), MemberType = typeof(SharedCaptures))]
    public void Every_tcp_frame_reserializes_byte_identical(string capture)
    {
        var frames = SharedCaptures.Frames(capture);
        var tshark = SharedCaptures.Tshark(capture);
        var rebuilt = 0;
        for (var i = 0; i < frames.Count; i++)
        {
            if (!tshark.ContainsKey(i + 1)) continue;
            var bytes = FrameRebuilder.Rebuild(frames[i], out _);
            Assert.True(frames[i].Data.Span.SequenceEqual(bytes), $"{capture} frame {i + 1} differs after rebuild");
            rebuilt++;
        }
        Assert.Equal(tshark.Count, rebuilt);
    }
}
