using MptcpActors.Tests.Shared;
using CsCheck;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Tcp;

namespace MptcpActors.Actors.Tests.Tcp;

public class RttEstimatorTests
{
    private const long Ms = 1_000_000;
    private const long S = 1_000_000_000;

    [Fact]
    public void Before_any_sample_the_RTO_is_the_initial_one_second()
    {
        var rtt = new RttEstimator();
        Assert.Equal(1 * S, rtt.RtoNs);
        Assert.False(rtt.HasSample);
        Assert.Equal(-1, rtt.SmoothedRttNs);
        Assert.Equal(-1, rtt.RttVarNs);
        Assert.Equal(-1, rtt.MinRttNs);
        Assert.Equal(-1, rtt.LatestRttNs);
        Assert.Equal(200 * Ms, rtt.MinRtoNs);
        Assert.Equal(120 * S, rtt.MaxRtoNs);
    }

    [Fact]
    public void First_sample_sets_SRTT_to_R_and_RTTVAR_to_R_over_two()
    {
        var rtt = new RttEstimator();
        rtt.Sample(100 * Ms);
        Assert.Equal(100 * Ms, rtt.SmoothedRttNs);
        Assert.Equal(50 * Ms, rtt.RttVarNs);
        Assert.Equal(100 * Ms + 4 * 50 * Ms, rtt.RtoNs);
        Assert.Equal(100 * Ms, rtt.LatestRttNs);
        Assert.Equal(100 * Ms, rtt.MinRttNs);
    }

    [Fact]
    public void Later_samples_follow_RFC_6298_2_3()
    {
        var rtt = new RttEstimator();
        rtt.Sample(100 * Ms);
        rtt.Sample(200 * Ms);
        // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5 ms (with the old SRTT); SRTT = 7/8·100 + 1/8·200 = 112.5 ms.
        Assert.Equal(62_500_000, rtt.RttVarNs);
        Assert.Equal(112_500_000, rtt.SmoothedRttNs);
        Assert.Equal(112_500_000 + 4 * 62_500_000, rtt.RtoNs);
        rtt.Sample(80 * Ms);
        // RTTVAR = 3/4·62.5 + 1/4·32.5 = 55 ms; SRTT = 7/8·112.5 + 1/8·80 = 108.4375 ms.
        Assert.Equal(55_000_000, rtt.RttVarNs);
        Assert.Equal(108_437_500, rtt.SmoothedRttNs);
        Assert.Equal(108_437_500 + 220_000_000, rtt.RtoNs);
        Assert.Equal(80 * Ms, rtt.LatestRttNs);
        Assert.Equal(80 * Ms, rtt.MinRttNs);
    }

    [Theory]
    [InlineData(1 * Ms)]
    [InlineData(5 * Ms)]
    public void The_clock_granularity_bounds_the_variance_term(long granularity)
    {
        var rtt = new RttEstimator(minRtoNs: 1 * Ms, clockGranularityNs: granularity);
        for (var i = 0; i < 200; i++) rtt.Sample(10 * Ms);
        Assert.Equal(10 * Ms, rtt.SmoothedRttNs);
        Assert.True(rtt.RttVarNs * 4 < granularity);
        Assert.Equal(10 * Ms + granularity, rtt.RtoNs);
    }

    [Fact]
    public void RTO_is_clamped_to_the_minimum_which_is_configurable()
    {
        var linux = new RttEstimator();
        linux.Sample(1 * Ms);
        Assert.Equal(200 * Ms, linux.RtoNs);

        var rfc = new RttEstimator(minRtoNs: 1 * S);
        rfc.Sample(1 * Ms);
        Assert.Equal(1 * S, rfc.RtoNs);

        var low = new RttEstimator(minRtoNs: 50 * Ms);
        low.Sample(1 * Ms);
        Assert.Equal(50 * Ms, low.RtoNs);
    }

    [Fact]
    public void RTO_is_clamped_to_the_maximum()
    {
        var rtt = new RttEstimator();
        rtt.Sample(100 * S);
        Assert.Equal(120 * S, rtt.RtoNs);
        var shortMax = new RttEstimator(maxRtoNs: 60 * S);
        shortMax.Sample(20 * S);
        Assert.Equal(60 * S, shortMax.RtoNs);
    }

    [Fact]
    public void Backoff_doubles_up_to_the_maximum_and_a_new_sample_undoes_it()
    {
        var rtt = new RttEstimator();
        long[] expected = [2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 64 * S, 120 * S, 120 * S];
        for (var i = 0; i < expected.Length; i++)
        {
            rtt.Backoff();
            Assert.Equal(expected[i], rtt.RtoNs);
            Assert.Equal(i + 1, rtt.BackoffCount);
        }

        rtt.Sample(100 * Ms);
        Assert.Equal(0, rtt.BackoffCount);
        Assert.Equal(300 * Ms, rtt.RtoNs);
        rtt.Backoff();
        Assert.Equal(600 * Ms, rtt.RtoNs);
        rtt.Sample(100 * Ms);
        Assert.Equal(rtt.SmoothedRttNs + 4 * rtt.RttVarNs, rtt.RtoNs);
    }

    [Fact]
    public void Minimum_RTT_is_windowed()
    {
        var rtt = new RttEstimator(minRttWindowNs: 10 * S);
        rtt.Sample(50 * Ms, 0);
        for (var t = 1; t <= 9; t++) rtt.Sample(80 * Ms + t * Ms, t * S);
        Assert.Equal(50 * Ms, rtt.MinRttNs);
        // Past the window, the 50 ms sample ages out and the best of the newer ones takes over.
        for (var t = 10; t <= 25; t++) rtt.Sample(90 * Ms, t * S);
        Assert.Equal(90 * Ms, rtt.MinRttNs);
        rtt.Sample(70 * Ms, 26 * S);
        Assert.Equal(70 * Ms, rtt.MinRttNs);
    }

    [Fact]
    public void Samples_without_a_time_keep_the_minimum_for_good()
    {
        var rtt = new RttEstimator(minRttWindowNs: 1);
        rtt.Sample(30 * Ms);
        for (var i = 0; i < 100; i++) rtt.Sample(40 * Ms);
        Assert.Equal(30 * Ms, rtt.MinRttNs);
    }

    [Fact]
    public void Settings_give_the_bounds()
    {
        var tcp = new TcpSettings(Mss: 1460, InitialRto: TimeSpan.FromSeconds(3), MinRto: TimeSpan.FromMilliseconds(300),
            MaxRto: TimeSpan.FromSeconds(60), SendBuffer: 1 << 20, ReceiveBuffer: 1 << 20, DelayedAck: TimeSpan.FromMilliseconds(40),
            Nagle: true, Sack: true, Timestamps: true, WindowScaling: true, SynRetries: 6,
            Keepalive: new KeepaliveSettings(Enabled: false, Time: TimeSpan.FromHours(2), Interval: TimeSpan.FromSeconds(75), Probes: 9));
        var rtt = RttEstimator.FromSettings(tcp);
        Assert.Equal(3 * S, rtt.RtoNs);
        Assert.Equal(300 * Ms, rtt.MinRtoNs);
        Assert.Equal(60 * S, rtt.MaxRtoNs);
    }

    [Fact]
    public void Invalid_bounds_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RttEstimator(minRtoNs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RttEstimator(minRtoNs: 2 * S, maxRtoNs: 1 * S));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RttEstimator().Sample(-1));
    }

    [Fact]
    public void Estimates_stay_within_the_samples_and_the_RTO_within_its_bounds()
    {
        Gen.Select(Gen.Long[0, 10 * S].Array[1, 60], Gen.Long[0, 2 * S].Array[60], Gen.Int[0, 8])
            .Sample((samples, gaps, backoffs) =>
            {
                var rtt = new RttEstimator(minRttWindowNs: 30 * S);
                long now = 0, trueMin = long.MaxValue;
                for (var i = 0; i < samples.Length; i++)
                {
                    now += gaps[i];
                    rtt.Sample(samples[i], now);
                    trueMin = Math.Min(trueMin, samples[i]);
                    Assert.InRange(rtt.RtoNs, rtt.MinRtoNs, rtt.MaxRtoNs);
                    Assert.InRange(rtt.SmoothedRttNs, samples[..(i + 1)].Min(), samples[..(i + 1)].Max());
                    Assert.InRange(rtt.MinRttNs, trueMin, samples[i]);
                    Assert.True(rtt.RttVarNs >= 0);
                    Assert.Equal(samples[i], rtt.LatestRttNs);
                }
                var before = rtt.RtoNs;
                for (var i = 0; i < backoffs; i++) rtt.Backoff();
                Assert.Equal(Math.Min(rtt.MaxRtoNs, before << backoffs), rtt.RtoNs);
            });
    }

    [Fact]
    public void Sampling_allocates_nothing()
    {
        var rtt = new RttEstimator();
        for (var i = 0; i < 1000; i++) rtt.Sample(10 * Ms + i % 7 * Ms, i * Ms);
        var t = 1000L;
        Assert.Equal(0, Allocations.Least(() =>
        {
            for (var i = 0; i < 100_000; i++, t++)
            {
                rtt.Sample(10 * Ms + i % 7 * Ms, t * Ms);
                if (i % 1000 == 0) rtt.Backoff();
            }
        }));
    }
}
