namespace MptcpActors.Cli.Tests;

public static class DecodeComparison
{
    /// <summary>
    /// Line-by-line, field-by-field equality, but for the one difference CLI.md allows: tshark 4.0 leaves
    /// tcp.options.mptcp.checksum empty on DSS options that carry one, where we print it.
    /// </summary>
    public static void AssertSame(string expected, string actual, string what)
    {
        var e = expected.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var a = actual.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(e[0], a[0]);
        var header = e[0].Split('|');
        var checksum = Array.IndexOf(header, "tcp.options.mptcp.checksum");
        Assert.True(e.Length == a.Length, $"{what}: {e.Length - 1} frames expected, {a.Length - 1} printed");
        for (var i = 1; i < e.Length; i++)
        {
            var ev = e[i].Split('|');
            var av = a[i].Split('|');
            Assert.Equal(ev.Length, av.Length);
            for (var c = 0; c < ev.Length; c++)
            {
                if (c == checksum && ev[c].Length == 0 && av[c].Length > 0) continue;
                Assert.True(ev[c] == av[c], $"{what} line {i} ({ev[0]}), {header[c]}: tshark '{ev[c]}', mptcp '{av[c]}'");
            }
        }
    }
}
