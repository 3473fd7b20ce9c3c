using CsCheck;
using MptcpActors.Actors.Mptcp.Scheduling;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>
/// The rules every scheduler keeps, over random subflow sets: only usable subflows with room are chosen, backups only
/// when no regular subflow is usable, and something is chosen whenever a subflow could take the data (the default
/// scheduler with an unlimited window, so BLEST never holds back).
/// </summary>
public class PacketSchedulerPropertyTests
{
    private static readonly Gen<SubflowView> FlowGen =
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 4], Gen.Int[0, 2], Gen.Int[0, 5], Gen.Int[0, 5])
            .Select((srtt, space, backup, stale, established) =>
                new SubflowView(0, srtt * 10_000_000L, 14_600, 0, space * 1000, 1460, backup == 0, stale == 0, established != 0));

    private static readonly Gen<SubflowView[]> FlowsGen =
        FlowGen.Array[0, 6].Select(flows =>
        {
            for (var i = 0; i < flows.Length; i++) flows[i] = flows[i] with { Id = i + 1 };
            return flows;
        });

    [Fact]
    public void Schedulers_choose_only_eligible_subflows_with_room_and_never_idle_needlessly() =>
        FlowsGen.Select(Gen.Int[1, 4]).Sample((flows, calls) =>
        {
            var regularUsable = flows.Any(f => f.Usable && !f.Backup);
            bool Eligible(SubflowView f) => f.Usable && f.SendSpace > 0 && f.Backup != regularUsable;
            var eligible = Enumerable.Range(0, flows.Length).Where(i => Eligible(flows[i])).ToArray();
            var chosen = new int[flows.Length];

            foreach (var s in new IPacketScheduler[] { new DefaultScheduler(), new RoundRobinScheduler() })
                for (var c = 0; c < calls; c++)
                {
                    var n = s.Select(flows, 1460, chosen);
                    Assert.Equal(eligible.Length > 0 ? 1 : 0, n);
                    if (n == 1) Assert.Contains(chosen[0], eligible);
                }

            Assert.Equal(eligible, chosen[..new RedundantScheduler().Select(flows, 1460, chosen)]);

            // The default's choice has the lowest RTT among the eligible, unsampled counting as the highest.
            if (new DefaultScheduler().Select(flows, 1460, chosen) == 1)
            {
                static long Rank(SubflowView f) => f.SrttNs > 0 ? f.SrttNs : long.MaxValue;
                Assert.Equal(eligible.Min(i => Rank(flows[i])), Rank(flows[chosen[0]]));
            }
        }, iter: 3000, print: t => string.Join(", ", t.Item1));

    [Fact]
    public void Round_robin_visits_every_eligible_subflow_once_per_turn() =>
        FlowsGen.Sample(flows =>
        {
            var regularUsable = flows.Any(f => f.Usable && !f.Backup);
            var eligible = flows.Where(f => f.Usable && f.SendSpace > 0 && f.Backup != regularUsable).Select(f => f.Id).ToHashSet();
            var s = new RoundRobinScheduler();
            var chosen = new int[1];
            var seen = new List<int>();
            for (var i = 0; i < 2 * eligible.Count; i++)
            {
                Assert.Equal(1, s.Select(flows, 1460, chosen));
                seen.Add(flows[chosen[0]].Id);
            }
            Assert.Equal(eligible.Count, seen.Take(eligible.Count).Distinct().Count());
            Assert.Equal(seen.Take(eligible.Count), seen.Skip(eligible.Count));
        }, iter: 2000, print: f => string.Join(", ", f));
}
