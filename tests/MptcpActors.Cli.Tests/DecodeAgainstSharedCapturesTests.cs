using MptcpActors.Transport.Tests;

namespace MptcpActors.Cli.Tests;

/// <summary>`mptcp decode X.pcap`, run as a process, prints the .tshark.psv beside every shipped capture.</summary>
public class DecodeAgainstSharedCapturesTests
{
    [Theory]
    [MemberData(nameof(SharedCaptures.Names), MemberType = typeof(SharedCaptures))]
    public void Output_equals_tsharks_decoding(string capture)
    {
        var r = MptcpProcess.Run("decode", Path.Combine(SharedCaptures.Directory, capture + ".pcap"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        var expected = File.ReadAllText(Path.Combine(SharedCaptures.Directory, capture + ".tshark.psv"));
        DecodeComparison.AssertSame(expected, r.Stdout, capture);
    }
}
