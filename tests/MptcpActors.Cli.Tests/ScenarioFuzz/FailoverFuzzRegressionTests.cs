namespace MptcpActors.Cli.Tests.ScenarioFuzz;

/// <summary>
/// Scenarios the generator of <see cref="FailoverFuzzTests"/> found failing, shrunk and kept as they were printed
/// (after the fix, each holds every invariant of <see cref="FailoverReportInvariants"/>).
/// </summary>
public class FailoverFuzzRegressionTests
{
    public static TheoryData<string, string> Found() => new()
    {
        {
            // The only path's carrier went and came back: the engine closed the connection's last subflow with the
            // interface and ended the connection ("all subflows closed"), where Linux's TCP rides the outage out.
            "one path down and up",
            """
            scenario {
              name = one-path-flap
              paths = [ { name = wifi, rate = 10Mbit, delay = 20ms } ]
              traffic { direction = upload, bytes = 512KiB }
              faults = [
                { at = 200ms, path = wifi, action = down }
                { at = 1000ms, path = wifi, action = up }
              ]
            }
            """
        },
        {
            // Every path out at once, then back: the same, with two paths and data both ways.
            "every path down at once, then up",
            """
            scenario {
              name = all-paths-flap
              paths = [
                { name = wifi, rate = 10Mbit, delay = 20ms }
                { name = lte, rate = 5Mbit, delay = 50ms }
              ]
              traffic { direction = both, bytes = 1MiB }
              faults = [
                { at = 500ms, path = wifi, action = down }
                { at = 500ms, path = lte, action = down }
                { at = 1500ms, path = wifi, action = up }
                { at = 1500ms, path = lte, action = up }
              ]
            }
            """
        },
        {
            // A blackhole over the handshake, then the carrier gone for 19 ms: the server, fully established, closed its
            // only subflow with the interface; the client, not yet fully established, kept its own and retransmitted
            // into the server's reset ("Connection reset by peer"). Now a carrier loss keeps a connection's last subflow.
            "the only path downed while the client is not yet fully established",
            """
            scenario {
              name = fuzz-89
              seed = 89
              paths = [
                { name = wifi, rate = 64951kbit, delay = 179ms, loss = 3.1%, limit = 197 }
              ]
              traffic { direction = download, duration = 1163ms, rate = 2350kbit }
              scheduler = redundant
              congestion-control = lia
              faults = [
                { at = 730ms, path = wifi, action = blackhole }
                { at = 747ms, path = wifi, action = blackhole }
                { at = 954ms, path = wifi, action = restore }
                { at = 1080ms, path = wifi, action = down }
                { at = 1099ms, path = wifi, action = up }
                { at = 1119ms, path = wifi, action = restore }
              ]
            }
            """
        },
        {
            // No fault at all: a second of bulk both ways over one path, coupled congestion control. Slow start overshot
            // the 514-packet queue and an RTO followed; the TCP core then counted every ACK as application-limited (all
            // data had been sent once), so cwnd stayed at one segment, and both ends, each with its DATA_FIN out beyond
            // the hole, answered each other's DATA_FIN at once: an ACK storm. Not finished in 84 s; now 4.4 s.
            "one path both ways with olia, no fault",
            """
            scenario {
              name = fuzz-273
              seed = 273
              paths = [
                { name = wifi, rate = 52920kbit, delay = 65ms, loss = 0%, limit = 514 }
              ]
              traffic { direction = both, duration = 1000ms }
              scheduler = redundant
              congestion-control = olia
            }
            """
        },
        {
            // 5 % loss took the client's first data segment (MP_CAPABLE with its data-level length). The server's DATA_ACKs
            // (of nothing yet) made the client send it again with a DSS mapping 4 bytes longer than the option it was cut
            // for: too long for the link, dropped, at every retransmission timeout, for the 250 s of the run.
            "the first data segment lost",
            """
            scenario {
              name = fuzz-571
              seed = 571
              paths = [
                { name = wifi, rate = 118676kbit, delay = 118ms, jitter = 9ms, loss = 5%, limit = 640 }
              ]
              traffic { direction = upload, bytes = 554KiB }
              scheduler = default
              congestion-control = cubic
            }
            """
        },
        {
            // The client's third ACK (both keys) lost on the 4.2 % loss path, and the client, downloading, had no data to
            // carry them: its later ACKs went without, the server's side never established, nothing was sent.
            "the third ACK lost before a download",
            """
            scenario {
              name = fuzz-489
              seed = 489
              paths = [
                { name = wifi, rate = 82875kbit, delay = 242ms, loss = 4.2%, limit = 742 }
                { name = lte, rate = 96750kbit, delay = 51ms, jitter = 29ms, loss = 0%, limit = 16 }
              ]
              traffic { direction = download, bytes = 512KiB, rate = 14523kbit }
              scheduler = default
              congestion-control = lia
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(Found))]
    public void Found_by_the_generator_and_fixed(string what, string hocon)
    {
        var problems = FailoverFuzzTests.RunAndCheck(hocon);
        Assert.True(problems.Count == 0, $"{what}:\n{string.Join("\n", problems)}");
    }
}
