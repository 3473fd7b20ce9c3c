using MptcpActors.Tests.Shared;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Transport.Tests.Sim;

public class EventSchedulerTests
{
    [Fact]
    public void Events_run_in_time_order_and_the_clock_reads_each_event_time()
    {
        var s = new EventScheduler();
        var seen = new List<(long Time, long Now)>();
        foreach (var t in new long[] { 50, 10, 40, 20, 30, 0 }) s.Schedule(t, () => seen.Add((t, s.NowNs)));

        Assert.True(s.RunUntilIdle());

        Assert.Equal(new long[] { 0, 10, 20, 30, 40, 50 }, seen.Select(x => x.Time));
        Assert.All(seen, x => Assert.Equal(x.Time, x.Now));
        Assert.Equal(50, s.NowNs);
        Assert.Equal(6, s.ExecutedCount);
    }

    [Fact]
    public void Equal_times_run_in_scheduling_order_including_events_added_while_running()
    {
        var s = new EventScheduler();
        var order = new List<int>();
        for (var i = 0; i < 1000; i++)
        {
            var n = i;
            s.Schedule(7, () =>
            {
                order.Add(n);
                if (n == 0) s.Schedule(7, () => order.Add(1000)); // same time, scheduled last: runs last
            });
        }
        s.Schedule(6, () => order.Add(-1));

        s.RunUntilIdle();

        Assert.Equal(Enumerable.Range(-1, 1002), order);
    }

    [Fact]
    public void A_cancelled_event_does_not_run_and_cancel_reports_once()
    {
        var s = new EventScheduler();
        var ran = new List<string>();
        var a = s.Schedule(10, () => ran.Add("a"));
        var b = s.Schedule(20, () => ran.Add("b"));
        s.Schedule(5, () => Assert.True(b.Cancel())); // cancelled from inside another event

        Assert.True(a.IsPending);
        Assert.Equal(2 + 1, s.PendingCount);
        s.RunUntilIdle();

        Assert.Equal(["a"], ran);
        Assert.False(a.IsPending);
        Assert.False(a.Cancel()); // already ran
        Assert.False(b.Cancel()); // already cancelled
        Assert.Equal(0, s.PendingCount);
        Assert.False(default(ScheduledEvent).Cancel());
    }

    [Fact]
    public void A_stale_handle_cannot_cancel_the_event_that_reuses_its_node()
    {
        var s = new EventScheduler();
        var first = s.Schedule(1, () => { });
        s.RunUntilIdle();
        var ran = false;
        var second = s.Schedule(2, () => ran = true); // pooled: most likely the same node as `first`

        Assert.False(first.Cancel());
        Assert.True(second.IsPending);
        s.RunUntilIdle();
        Assert.True(ran);
    }

    [Fact]
    public void Cancelling_most_events_compacts_and_keeps_the_rest_in_order()
    {
        var s = new EventScheduler();
        var handles = new ScheduledEvent[20_000];
        var ran = new List<int>();
        for (var i = 0; i < handles.Length; i++)
        {
            var n = i;
            handles[i] = s.Schedule(1_000_000 - i, () => ran.Add(n));
        }
        for (var i = 0; i < handles.Length; i++)
            if (i % 10 != 0) Assert.True(handles[i].Cancel());

        Assert.Equal(2_000, s.PendingCount);
        s.RunUntilIdle();

        Assert.Equal(Enumerable.Range(0, 2_000).Select(k => 19_990 - 10 * k), ran);
    }

    [Fact]
    public void RunUntil_stops_at_the_limit_and_sets_the_clock_to_it()
    {
        var s = new EventScheduler();
        var ran = new List<long>();
        foreach (var t in new long[] { 100, 200, 300 }) s.Schedule(t, () => ran.Add(s.NowNs));

        s.RunUntil(200);
        Assert.Equal([100L, 200L], ran);
        Assert.Equal(200, s.NowNs);

        s.RunUntil(250);
        Assert.Equal(250, s.NowNs);
        Assert.True(s.TryPeekNextTime(out var next));
        Assert.Equal(300, next);

        Assert.False(s.RunUntilIdle(299)); // the event at 300 is past the limit
        Assert.Equal(299, s.NowNs);
        Assert.True(s.RunUntilIdle(1_000));
        Assert.Equal(300, s.NowNs);
        Assert.False(s.Step());
    }

    [Fact]
    public void Step_runs_one_event_and_ScheduleAfter_is_relative_to_now()
    {
        var s = new EventScheduler();
        long at = -1;
        s.Schedule(1_000, () => s.ScheduleAfter(500, () => at = s.NowNs));
        Assert.True(s.Step());
        Assert.Equal(1_000, s.NowNs);
        Assert.Equal(-1, at);
        Assert.True(s.Step());
        Assert.Equal(1_500, at);
    }

    [Fact]
    public void Scheduling_into_the_past_or_with_a_negative_delay_throws()
    {
        var s = new EventScheduler();
        s.RunUntil(1_000);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Schedule(999, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.ScheduleAfter(-1, () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.RunUntil(10));
        s.Schedule(1_000, () => { }); // now is fine
    }

    [Fact]
    public void Stop_ends_the_run_after_the_current_event()
    {
        var s = new EventScheduler();
        var ran = 0;
        for (var i = 1; i <= 10; i++) s.Schedule(i, () => { if (++ran == 3) s.Stop(); });
        s.RunUntil(100);
        Assert.Equal(3, ran);
        Assert.Equal(3, s.NowNs);
        s.RunUntil(100);
        Assert.Equal(10, ran);
    }

    [Fact]
    public void An_exception_in_an_event_leaves_the_scheduler_usable()
    {
        var s = new EventScheduler();
        var ran = false;
        s.Schedule(1, () => throw new InvalidOperationException("boom"));
        s.Schedule(2, () => ran = true);
        Assert.Throws<InvalidOperationException>(() => s.RunUntilIdle());
        Assert.Equal(1, s.PendingCount);
        s.RunUntilIdle();
        Assert.True(ran);
    }

    [Fact]
    public void Scheduling_and_running_with_a_cached_delegate_allocates_nothing()
    {
        var s = new EventScheduler();
        var counter = new int[1];
        Action<object?> tick = static o => ((int[])o!)[0]++;
        for (var i = 0; i < 1_000; i++) s.ScheduleAfter(i % 17, tick, counter);
        s.RunUntilIdle();

        var rounds = 0;
        var allocated = Allocations.Least(() =>
        {
            for (var round = 0; round < 10; round++, rounds++)
            {
                for (var i = 0; i < 1_000; i++) s.ScheduleAfter(i % 17, tick, counter);
                s.RunUntilIdle();
            }
        });

        Assert.Equal(1_000 + rounds * 1_000, counter[0]);
        Assert.Equal(0, allocated);
    }
}

public class SimRandomTests
{
    [Fact]
    public void Same_seed_and_stream_repeat_and_different_ones_differ()
    {
        static ulong[] Draw(SimRandom r) => Enumerable.Range(0, 8).Select(_ => r.NextUInt64()).ToArray();

        Assert.Equal(Draw(new SimRandom(42)), Draw(new SimRandom(42)));
        Assert.NotEqual(Draw(new SimRandom(42)), Draw(new SimRandom(43)));
        Assert.Equal(Draw(SimRandom.Create(42, "link:a")), Draw(SimRandom.Create(42, "link:a")));
        Assert.NotEqual(Draw(SimRandom.Create(42, "link:a")), Draw(SimRandom.Create(42, "link:b")));
    }

    [Fact]
    public void The_generator_is_the_published_xoshiro256starstar()
    {
        // Fixed outputs: if this changes, every seeded run of the simulator changes with it.
        var r = new SimRandom(0);
        Assert.Equal(0x99EC5F36CB75F2B4UL, r.NextUInt64());
        Assert.Equal(0xBF6E1F784956452AUL, r.NextUInt64());
    }

    [Fact]
    public void Draws_stay_in_range_with_the_right_moments()
    {
        var r = new SimRandom(7);
        const int n = 200_000;
        double sum = 0, sumSq = 0, gSum = 0, gSq = 0;
        var buckets = new int[10];
        for (var i = 0; i < n; i++)
        {
            var d = r.NextDouble();
            Assert.InRange(d, 0, 1 - double.Epsilon);
            sum += d;
            sumSq += d * d;
            var k = r.NextInt(10);
            buckets[k]++;
            var g = r.NextGaussian();
            gSum += g;
            gSq += g * g;
        }
        Assert.InRange(sum / n, 0.497, 0.503);
        Assert.InRange(sumSq / n - sum * sum / n / n, 1 / 12.0 - 0.002, 1 / 12.0 + 0.002);
        Assert.All(buckets, c => Assert.InRange(c, n / 10 - 600, n / 10 + 600));
        Assert.InRange(gSum / n, -0.01, 0.01);
        Assert.InRange(gSq / n, 0.98, 1.02);
        Assert.False(r.Chance(0));
        Assert.True(r.Chance(1));
    }
}
