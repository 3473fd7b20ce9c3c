using CsCheck;
using MptcpActors.Actors.Mptcp;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>
/// The reinjection queue against a set of byte positions: any mix of adds, removes, front takes, drops and clears, across
/// its growth and across the wrap of the DSN space, leaves it holding the same bytes as maximal disjoint ranges, lowest
/// first.
/// </summary>
public class ReinjectionQueuePropertyTests
{
    /// <summary>The DSN of offset 0: offsets 0..229 straddle the wrap of the 64-bit space.</summary>
    private const ulong Base = ulong.MaxValue - 99;

    [Fact]
    public void Queue_holds_the_same_bytes_as_a_set_as_maximal_ranges_lowest_first() =>
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 199], Gen.Int[0, 30]).Array[1, 150].Sample(ops =>
        {
            var queue = new ReinjectionQueue();
            var model = new SortedSet<int>();
            foreach (var (op, at, length) in ops)
            {
                switch (op)
                {
                    case 0 or 1:
                        queue.Add(Base + (ulong)at, length);
                        for (var b = at; b < at + length; b++) model.Add(b);
                        break;
                    case 2:
                        queue.Remove(Base + (ulong)at, length);
                        model.RemoveWhere(b => b >= at && b < at + length);
                        break;
                    case 3 when queue.TryPeek(out var front):
                        var take = Math.Max(1, Math.Min(length, front.Length));
                        queue.Take(take);
                        var first = Offset(front.Dsn);
                        model.RemoveWhere(b => b >= first && b < first + take);
                        break;
                    case 4:
                        if (length == 0) { queue.Clear(); model.Clear(); }
                        else { queue.DropBefore(Base + (ulong)at); model.RemoveWhere(b => b < at); }
                        break;
                }
                Assert.Equal(model.Count, queue.Bytes);
                Assert.Equal(model.Count > 0, queue.TryPeek(out var peek));
                if (model.Count > 0) Assert.Equal(Run(model, model.Min), (Offset(peek.Dsn), peek.Length));
            }
            // Drained front to back: every range a maximal run of the set, in order.
            while (queue.TryPeek(out var range))
            {
                Assert.Equal(Run(model, model.Min), (Offset(range.Dsn), range.Length));
                model.RemoveWhere(b => b >= Offset(range.Dsn) && b < Offset(range.Dsn) + range.Length);
                queue.Take(range.Length);
            }
            Assert.Empty(model);
            Assert.Equal(0, queue.Count);
        }, iter: 3000);

    private static int Offset(ulong dsn) => (int)(dsn - Base);

    /// <summary>The run of consecutive bytes in <paramref name="set"/> starting at <paramref name="first"/>.</summary>
    private static (int, int) Run(SortedSet<int> set, int first)
    {
        var end = first;
        while (set.Contains(end)) end++;
        return (first, end - first);
    }

    [Fact]
    public void Taking_more_than_the_front_range_is_an_error_not_a_stale_range()
    {
        var queue = new ReinjectionQueue();
        queue.Add(1, 10);
        queue.Add(20, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Take(11));
        queue.Take(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Take(6));
        queue.Take(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Take(1));
    }
}
