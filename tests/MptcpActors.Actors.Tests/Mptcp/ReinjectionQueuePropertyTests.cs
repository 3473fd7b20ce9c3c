using CsCheck;
using MptcpActors.Actors.Mptcp;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>The reinjection ring against a linked list: any mix of enqueues, front pushes, dequeues and clears, across its growth and wrap.</summary>
public class ReinjectionQueuePropertyTests
{
    [Fact]
    public void Queue_matches_a_linked_list() =>
        Gen.Int[0, 4].Array[1, 120].Sample(ops =>
        {
            var queue = new ReinjectionQueue();
            var model = new LinkedList<(ulong, int)>();
            var next = 0;
            foreach (var op in ops)
            {
                var range = ((ulong)next * 1000, next++);
                switch (op)
                {
                    case 0: queue.Enqueue(range); model.AddLast(range); break;
                    case 1: queue.PushFront(range); model.AddFirst(range); break;
                    case 2 or 3 when model.Count > 0:
                        Assert.Equal(model.First!.Value, queue.Dequeue());
                        model.RemoveFirst();
                        break;
                    case 4 when next % 7 == 0: queue.Clear(); model.Clear(); break;
                }
                Assert.Equal(model.Count, queue.Count);
                Assert.Equal(model.Count > 0, queue.TryPeek(out var front));
                if (model.Count > 0) Assert.Equal(model.First!.Value, front);
            }
        }, iter: 3000);

    [Fact]
    public void Dequeuing_an_empty_queue_is_an_error_not_a_stale_range()
    {
        var queue = new ReinjectionQueue();
        queue.Enqueue((1, 1));
        queue.Dequeue();
        Assert.Throws<InvalidOperationException>(() => queue.Dequeue());
    }
}
