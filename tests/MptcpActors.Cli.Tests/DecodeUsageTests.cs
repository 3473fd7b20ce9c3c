using CsCheck;
using MptcpActors.Cli.Decode;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Tests;

namespace MptcpActors.Cli.Tests;

/// <summary>Exit codes and error lines of CLI.md; bad captures never stop the decoder.</summary>
public class DecodeUsageTests
{
    [Fact]
    public void Unknown_field_is_bad_usage_naming_it()
    {
        var r = MptcpProcess.Run("decode", Path.Combine(SharedCaptures.Directory, "basic.pcap"), "--fields", "tcp.srcport,tcp.bogus");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("mptcp: error: --fields: unknown field 'tcp.bogus'", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Missing_file_is_bad_usage()
    {
        var r = MptcpProcess.Run("decode", "/nonexistent/x.pcap");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("mptcp: error: FILE:", r.Stderr);
    }

    [Fact]
    public void Missing_argument_and_unknown_command_are_bad_usage()
    {
        Assert.Equal(2, MptcpProcess.Run("decode").ExitCode);
        var r = MptcpProcess.Run("frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("mptcp: error: ", r.Stderr);
    }

    [Fact]
    public void A_file_that_is_not_a_capture_is_a_runtime_failure()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a capture at all");
            var r = MptcpProcess.Run("decode", path);
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith("mptcp: error: FILE:", r.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Selected_fields_come_in_the_order_asked()
    {
        var r = MptcpProcess.Run("decode", Path.Combine(SharedCaptures.Directory, "basic.pcap"), "--fields", "tcp.dstport,frame.number");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("tcp.dstport|frame.number", lines[0]);
        Assert.Equal("9000|3", lines[1]);
    }

    [Fact]
    public void A_capture_cut_mid_frame_decodes_what_is_there()
    {
        var bytes = File.ReadAllBytes(Path.Combine(SharedCaptures.Directory, "basic.pcap"));
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var r = MptcpProcess.Run("decode", path);
            Assert.Equal(0, r.ExitCode);
            Assert.True(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 10);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Mutated Linux frames through the whole decoder: a line or a warning, never an exception.</summary>
    [Fact]
    public void Mutated_frames_never_stop_the_decoder()
    {
        var corpus = SharedCaptures.Names().SelectMany(n => SharedCaptures.Frames((string)n[0])).Select(f => f.Data.ToArray()).ToArray();
        Gen.Select(Gen.Int[0, corpus.Length - 1], Gen.Int[0, 1513].Array[1, 8], Gen.Byte.Array[8], Gen.Int[0, 1514]).Array[1, 20].Sample(cases =>
        {
            var frames = cases.Select(c =>
            {
                var (i, at, values, cut) = c;
                var f = (byte[])corpus[i].Clone();
                for (var k = 0; k < at.Length; k++) f[at[k] % f.Length] = values[k];
                return new CapturedFrame(f.AsMemory(0, Math.Min(cut, f.Length)), f.Length, DateTimeOffset.UnixEpoch, LinkType.Ethernet);
            });
            foreach (var d in new CaptureDecoder().Decode(frames))
                for (var i = 0; i < DecodeFields.Count; i++) d.Fields.Format(i);
        }, iter: 5_000);
    }
}
