using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Tests.Shared;

namespace MptcpActors.Actors.Tests.Mptcp;

public class PacketSchedulerTests
{
    private const int Mss = 1460;
    private const long Ms = 1_000_000;

    private static SubflowView Flow(int id, long srttMs = 10, long space = 10 * Mss, bool backup = false, bool stale = false,
        bool established = true, long cwnd = 10 * Mss) =>
        new(id, srttMs * Ms, cwnd, 0, space, Mss, backup, stale, established);

    private static int[] Select(IPacketScheduler scheduler, long chunk, params SubflowView[] subflows)
    {
        var chosen = new int[subflows.Length];
        var n = scheduler.Select(subflows, chunk, chosen);
        return chosen[..n];
    }

    /// <summary>The ids a single-choice scheduler picks over successive calls.</summary>
    private static int[] Picks(IPacketScheduler scheduler, int calls, params SubflowView[] subflows)
    {
        var ids = new int[calls];
        for (var i = 0; i < calls; i++) ids[i] = subflows[Select(scheduler, Mss, subflows).Single()].Id;
        return ids;
    }

    // Default

    [Fact]
    public void Default_picks_the_lowest_rtt_with_room() =>
        Assert.Equal([2], Select(new DefaultScheduler(), Mss, Flow(1, srttMs: 30), Flow(2, srttMs: 10, space: 0), Flow(3, srttMs: 20)));

    [Fact]
    public void Default_ranks_a_subflow_without_rtt_sample_last_but_uses_it()
    {
        var s = new DefaultScheduler();
        Assert.Equal([1], Select(s, Mss, Flow(1, srttMs: 0), Flow(2, srttMs: 500)));
        Assert.Equal([0], Select(s, Mss, Flow(1, srttMs: 0), Flow(2, srttMs: 500, space: 0)));
        Assert.Equal([0], Select(s, Mss, Flow(1, srttMs: 0), Flow(2, srttMs: 0)));
    }

    [Fact]
    public void Stale_and_unestablished_subflows_carry_nothing()
    {
        SubflowView[] flows = [Flow(1, srttMs: 5, stale: true), Flow(2, srttMs: 6, established: false), Flow(3, srttMs: 50)];
        Assert.Equal([2], Select(new DefaultScheduler(), Mss, flows));
        Assert.Equal([2], Select(new RoundRobinScheduler(), Mss, flows));
        Assert.Equal([2], Select(new RedundantScheduler(), Mss, flows));
    }

    [Fact]
    public void Backups_carry_data_only_when_no_regular_subflow_is_usable()
    {
        var s = new DefaultScheduler();
        Assert.Equal([1], Select(s, Mss, Flow(1, srttMs: 5, backup: true), Flow(2, srttMs: 80)));
        Assert.Equal([0], Select(s, Mss, Flow(1, srttMs: 5, backup: true), Flow(2, srttMs: 80, stale: true)));
        Assert.Equal([0], Select(s, Mss, Flow(1, srttMs: 5, backup: true), Flow(2, srttMs: 80, established: false)));
        // Among backups the usual rule: lowest RTT with room.
        Assert.Equal([2], Select(s, Mss, Flow(1, srttMs: 30, backup: true), Flow(2, srttMs: 10, backup: true, space: 0),
            Flow(3, srttMs: 20, backup: true), Flow(4, stale: true)));
    }

    [Fact]
    public void A_full_regular_subflow_is_waited_for_rather_than_spilling_onto_a_backup()
    {
        SubflowView[] flows = [Flow(1, backup: true), Flow(2, space: 0)];
        Assert.Empty(Select(new DefaultScheduler(), Mss, flows));
        Assert.Empty(Select(new RoundRobinScheduler(), Mss, flows));
        Assert.Empty(Select(new RedundantScheduler(), Mss, flows));
    }

    [Fact]
    public void Nothing_usable_selects_nothing()
    {
        foreach (var s in new IPacketScheduler[] { new DefaultScheduler(), new RoundRobinScheduler(), new RedundantScheduler() })
        {
            Assert.Empty(Select(s, Mss));
            Assert.Empty(Select(s, Mss, Flow(1, stale: true), Flow(2, established: false), Flow(3, backup: true, stale: true)));
            Assert.Empty(Select(s, Mss, Flow(1, space: 0), Flow(2, space: 0)));
        }
    }

    // BLEST: fast 10 ms with cwnd 10 MSS (full), slow 100 ms. X = MSS·(10 + (10 − 1)/2)·10 = 1460·14.5·10 = 211 700 bytes.
    private static readonly SubflowView[] FastFullSlowFree = [Flow(1, srttMs: 10, space: 0), Flow(2, srttMs: 100)];

    [Fact]
    public void Default_waits_for_a_full_fast_subflow_when_the_slow_one_would_block_the_window()
    {
        var s = new DefaultScheduler { ConnectionWindowFree = 211_700 + Mss };
        Assert.Empty(Select(s, Mss, FastFullSlowFree)); // after the slow chunk, exactly X is left: not less, wait
        s.ConnectionWindowFree = 150_000;
        Assert.Empty(Select(s, Mss, FastFullSlowFree));
    }

    [Fact]
    public void Default_uses_the_slow_subflow_when_the_window_has_room_for_what_the_fast_one_could_send()
    {
        var s = new DefaultScheduler { ConnectionWindowFree = 211_700 + Mss + 1 };
        Assert.Equal([1], Select(s, Mss, FastFullSlowFree));
        s.ConnectionWindowFree = long.MaxValue; // unlimited: never waits
        Assert.Equal([1], Select(s, Mss, FastFullSlowFree));
        Assert.Equal([1], Select(new DefaultScheduler(), Mss, FastFullSlowFree));
    }

    [Fact]
    public void Blest_counts_only_what_the_slow_subflow_can_take_of_the_chunk()
    {
        // A 64 KB chunk, but the slow subflow takes 2 MSS of it.
        SubflowView[] flows = [Flow(1, srttMs: 10, space: 0), Flow(2, srttMs: 100, space: 2 * Mss)];
        var s = new DefaultScheduler { ConnectionWindowFree = 211_700 + 2 * Mss + 1 };
        Assert.Equal([1], Select(s, 65536, flows));
    }

    [Fact]
    public void Blest_takes_a_slow_subflow_without_rtt_sample_as_the_slowest_sampled_one()
    {
        // rtt_s = 40 ms (the highest sample): X = 1460·(10 + 1.5)·4 = 67 160 bytes.
        SubflowView[] flows = [Flow(1, srttMs: 10, space: 0), Flow(2, srttMs: 40, space: 0), Flow(3, srttMs: 0)];
        var s = new DefaultScheduler { ConnectionWindowFree = 67_160 + Mss + 1 };
        Assert.Equal([2], Select(s, Mss, flows));
        s.ConnectionWindowFree = 67_160 + Mss;
        Assert.Empty(Select(s, Mss, flows));
    }

    [Fact]
    public void Blest_never_waits_between_subflows_of_equal_rtt()
    {
        var s = new DefaultScheduler { ConnectionWindowFree = 0 };
        Assert.Equal([1], Select(s, Mss, Flow(1, srttMs: 10, space: 0), Flow(2, srttMs: 10)));
    }

    // Round-robin

    [Fact]
    public void Round_robin_cycles_over_the_usable_subflows() =>
        Assert.Equal([1, 2, 3, 1, 2, 3, 1], Picks(new RoundRobinScheduler(), 7, Flow(1), Flow(2, srttMs: 100), Flow(3)));

    [Fact]
    public void Round_robin_skips_full_stale_and_backup_subflows() =>
        Assert.Equal([1, 4, 1, 4], Picks(new RoundRobinScheduler(), 4,
            Flow(1), Flow(2, space: 0), Flow(3, stale: true), Flow(4), Flow(5, backup: true)));

    [Fact]
    public void Round_robin_keeps_its_turn_when_subflows_come_and_go()
    {
        var s = new RoundRobinScheduler();
        Assert.Equal([1, 2], Picks(s, 2, Flow(1), Flow(2), Flow(3)));
        Assert.Equal([3, 1], Picks(s, 2, Flow(3), Flow(1))); // 2 closed; listed in another order
        Assert.Equal([4, 1], Picks(s, 2, Flow(1), Flow(4)));
    }

    [Fact]
    public void Round_robin_rotates_over_backups_when_only_backups_are_usable() =>
        Assert.Equal([1, 2, 1], Picks(new RoundRobinScheduler(), 3, Flow(1, backup: true), Flow(2, backup: true), Flow(3, stale: true)));

    // Redundant

    [Fact]
    public void Redundant_selects_every_usable_subflow_with_room() =>
        Assert.Equal([0, 2, 5], Select(new RedundantScheduler(), Mss,
            Flow(1), Flow(2, space: 0), Flow(3, srttMs: 300), Flow(4, stale: true), Flow(5, backup: true), Flow(6, srttMs: 0)));

    [Fact]
    public void Redundant_selects_every_backup_when_only_backups_are_usable() =>
        Assert.Equal([0, 2], Select(new RedundantScheduler(), Mss, Flow(1, backup: true), Flow(2, stale: true), Flow(3, backup: true)));

    // Factory

    [Theory]
    [InlineData("default", SchedulerKind.Default, typeof(DefaultScheduler))]
    [InlineData("RoundRobin", SchedulerKind.RoundRobin, typeof(RoundRobinScheduler))]
    [InlineData("REDUNDANT", SchedulerKind.Redundant, typeof(RedundantScheduler))]
    public void Factory_parses_names_in_any_case_and_creates_the_scheduler(string name, SchedulerKind kind, Type type)
    {
        Assert.Equal(kind, PacketSchedulerFactory.Parse(name));
        Assert.IsType(type, PacketSchedulerFactory.Create(kind));
    }

    [Fact]
    public void Factory_rejects_an_unknown_name_listing_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => PacketSchedulerFactory.Parse("blest"));
        Assert.Contains("blest", e.Message);
        Assert.Contains("default, roundrobin, redundant", e.Message);
    }

    [Fact]
    public void Factory_maps_every_scheduler_setting()
    {
        Assert.Equal(SchedulerKind.Default, Scheduler.Default.ToKind());
        Assert.Equal(SchedulerKind.RoundRobin, Scheduler.RoundRobin.ToKind());
        Assert.Equal(SchedulerKind.Redundant, Scheduler.Redundant.ToKind());
    }

    [Fact]
    public void Round_robin_instances_do_not_share_their_turn()
    {
        var a = PacketSchedulerFactory.Create(SchedulerKind.RoundRobin);
        var b = PacketSchedulerFactory.Create(SchedulerKind.RoundRobin);
        Assert.Equal([1, 2], Picks(a, 2, Flow(1), Flow(2)));
        Assert.Equal([1], Picks(b, 1, Flow(1), Flow(2)));
    }

    [Fact]
    public void Select_allocates_nothing()
    {
        SubflowView[] flows = [Flow(1, srttMs: 10, space: 0), Flow(2, srttMs: 100), Flow(3, srttMs: 0), Flow(4, backup: true), Flow(5, stale: true)];
        var schedulers = new IPacketScheduler[] { new DefaultScheduler { ConnectionWindowFree = 300_000 }, new RoundRobinScheduler(), new RedundantScheduler() };
        var chosen = new int[flows.Length];
        var sum = 0;
        void Run(int rounds)
        {
            for (var i = 0; i < rounds; i++)
                foreach (var s in schedulers)
                    sum += s.Select(flows, Mss, chosen);
        }

        Run(100);
        Assert.Equal(0, Allocations.Least(() => Run(2000)));
        Assert.True(sum > 0);
    }
}
