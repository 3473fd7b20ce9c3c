using MptcpActors.Cli.Decode;
using MptcpActors.Transport.Tests;

namespace MptcpActors.Cli.Tests;

/// <summary>Our decoder against the real tshark on captures tshark has never been checked on: every option form, odd and broken ones.</summary>
public class DecodeAgainstLiveTsharkTests
{
    [Fact]
    public void Crafted_capture_with_every_option_form_decodes_as_tshark_does()
    {
        var pcap = Path.Combine(Path.GetTempPath(), $"mptcp-crafted-{Guid.NewGuid():N}.pcap");
        try
        {
            CraftedFrames.Everything().WriteTo(pcap);
            var fields = DecodeFields.Default.Concat(DecodeFields.Extra).ToArray();
            var expected = Tshark.Fields(pcap, fields);
            var r = MptcpProcess.Run("decode", pcap, "--fields", string.Join(',', fields));
            Assert.Equal(0, r.ExitCode);
            DecodeComparison.AssertSame(expected, r.Stdout, "crafted");
        }
        catch
        {
            File.Copy(pcap, Path.Combine(Path.GetTempPath(), "mptcp-crafted-failed.pcap"), overwrite: true);
            throw;
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Fact]
    public void Tshark_finds_the_ip_and_tcp_checksums_we_write_good()
    {
        var pcap = Path.Combine(Path.GetTempPath(), $"mptcp-crafted-{Guid.NewGuid():N}.pcap");
        try
        {
            CraftedFrames.Everything().WriteTo(pcap);
            var r = MptcpProcess.Run("tshark", ["-r", pcap, "-Y", "tcp", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                "-T", "fields", "-e", "tcp.checksum.status", "-e", "ip.checksum.status"]);
            Assert.Equal(0, r.ExitCode);
            var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length > 40);
            // 1 is "Good"; IPv6 frames have no IP checksum.
            Assert.All(lines, l => Assert.Matches(@"^1\t(1)?$", l));
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [Theory]
    [MemberData(nameof(SharedCaptures.Names), MemberType = typeof(SharedCaptures))]
    public void Extra_fields_on_shared_captures_decode_as_tshark_does(string capture)
    {
        var pcap = Path.Combine(SharedCaptures.Directory, capture + ".pcap");
        var fields = new[] { "frame.number" }.Concat(DecodeFields.Extra).ToArray();
        var r = MptcpProcess.Run("decode", pcap, "--fields", string.Join(',', fields));
        Assert.Equal(0, r.ExitCode);
        DecodeComparison.AssertSame(Tshark.Fields(pcap, fields), r.Stdout, capture);
    }
}
