using System.Runtime.CompilerServices;
using Akka.Actor;
using MptcpActors.Actors.Sim;

namespace MptcpActors.Actors.Tests.Simulation;

/// <summary>An ActorSystem run by the <see cref="VirtualTimeDriver"/>: timers fire in virtual time, in order, without waiting for the wall clock.</summary>
public class VirtualTimeDriverTests
{
    private sealed class Sleeper : ReceiveActor, IWithTimers
    {
        public Sleeper(List<(string, TimeSpan)> log, StrongBox<int> armed)
        {
            Receive<(string Name, TimeSpan Delay)>(m =>
            {
                Timers.StartSingleTimer(m.Name, m.Name, m.Delay);
                Interlocked.Increment(ref armed.Value!);
            });
            Receive<string>(name => log.Add((name, MonotonicClock.NowNs(Context.System.Scheduler) is var ns ? TimeSpan.FromTicks(ns / 100) : default)));
        }

        public ITimerScheduler Timers { get; set; } = null!;
    }

    [Fact]
    public void Timers_fire_at_their_virtual_times_in_order_and_the_actors_clock_reads_virtual_time()
    {
        // Not disposed: disposing waits for a termination only the driver can move forward in virtual time (Shutdown does).
        var system = ActorSystem.Create("virtual", VirtualTimeDriver.Config);
        var driver = new VirtualTimeDriver(system);
        var log = new List<(string, TimeSpan)>();
        var armed = new StrongBox<int>(0);
        var sleeper = system.ActorOf(Props.Create(() => new Sleeper(log, armed)));
        sleeper.Tell(("hour", TimeSpan.FromHours(1)));
        sleeper.Tell(("second", TimeSpan.FromSeconds(1)));
        sleeper.Tell(("also-second", TimeSpan.FromSeconds(1)));
        Assert.True(driver.RunUntil(() => log.Count == 3, TimeSpan.FromHours(2)));
        Assert.Equal([("second", TimeSpan.FromSeconds(1)), ("also-second", TimeSpan.FromSeconds(1)), ("hour", TimeSpan.FromHours(1))], log);
        Assert.Equal(TimeSpan.FromHours(1), driver.Now);
        driver.Shutdown(TimeSpan.FromMinutes(1));
        Assert.True(system.WhenTerminated.IsCompleted, "the system did not terminate in virtual time");
    }

    /// <summary>
    /// An actor made with system.ActorOf starts when the user guardian, which runs on a real thread, gets to it; until
    /// then what is told to it waits. A driver that moved time meanwhile found nothing due and jumped to the limit: the
    /// run "stalled" (the transfer never started) on whichever attempt lost that race.
    /// </summary>
    [Fact]
    public void Time_does_not_move_before_actors_made_from_outside_have_started()
    {
        var system = ActorSystem.Create("virtual-start", VirtualTimeDriver.Config);
        var driver = new VirtualTimeDriver(system);
        var log = new List<(string, TimeSpan)>();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var armed = new StrongBox<int>(0);
            var sleeper = system.ActorOf(Props.Create(() => new Sleeper(log, armed)));
            sleeper.Tell(($"wake-{attempt}", TimeSpan.FromSeconds(1)));
            var due = driver.Now + TimeSpan.FromSeconds(1);
            Assert.True(driver.RunUntil(() => log.Count == attempt + 1, due + TimeSpan.FromMinutes(1)), $"attempt {attempt}: the timer never fired (virtual time went to {driver.Now}; armed: {armed.Value == 1})");
            Assert.Equal(($"wake-{attempt}", due), log[attempt]);
        }
        driver.Shutdown(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void A_system_not_made_for_virtual_time_is_refused()
    {
        using var system = ActorSystem.Create("real");
        Assert.Throws<ArgumentException>(() => new VirtualTimeDriver(system));
    }
}
