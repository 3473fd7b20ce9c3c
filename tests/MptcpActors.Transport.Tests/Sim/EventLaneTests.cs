using CsCheck;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Transport.Tests.Sim;

/// <summary>Events in lanes run exactly where they would run from the heap: by time, then scheduling order.</summary>
public class EventLaneTests
{
    [Fact]
    public void Lanes_and_heap_together_run_by_time_then_scheduling_order() =>
        Gen.Select(Gen.Int[0, 3], Gen.Long[0, 50]).Array[1, 200].Sample(plan =>
        {
            var s = new EventScheduler();
            var lanes = new[] { new EventLane(), new EventLane(), new EventLane() };
            var last = new long[lanes.Length];
            var expected = new List<(long Time, int Order)>();
            var ran = new List<int>();
            Action<object?> record = o => ran.Add((int)o!);
            for (var i = 0; i < plan.Length; i++)
            {
                var (where, step) = plan[i];
                if (where == lanes.Length)
                {
                    // Straight into the heap, at any time: it goes between the lanes' events.
                    s.Schedule(step * 3, record, i);
                    expected.Add((step * 3, i));
                    continue;
                }
                last[where] += step % 7; // in time order within a lane, equal times included
                s.Schedule(lanes[where], last[where], record, i);
                expected.Add((last[where], i));
            }
            Assert.Equal(plan.Length, s.PendingCount);
            s.RunUntilIdle();
            Assert.Equal(expected.OrderBy(e => e.Time).ThenBy(e => e.Order).Select(e => e.Order), ran);
            Assert.Equal(0, s.PendingCount);
        });

    [Fact]
    public void An_event_before_the_lanes_last_is_refused()
    {
        var s = new EventScheduler();
        var lane = new EventLane();
        s.Schedule(lane, 10, _ => { }, null);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Schedule(lane, 9, _ => { }, null));
    }
}
