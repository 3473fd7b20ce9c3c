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
        // Messages from outside the system reach its one thread on their own schedule: let them all arm their timers
        // before virtual time moves (a driver that found nothing due yet would jump straight to the limit).
        var wall = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Volatile.Read(ref armed.Value) < 3 && DateTime.UtcNow < wall)
        {
            driver.RunUntilIdle();
            Thread.Sleep(1);
        }
        Assert.True(driver.RunUntil(() => log.Count == 3, TimeSpan.FromHours(2)));
        Assert.Equal([("second", TimeSpan.FromSeconds(1)), ("also-second", TimeSpan.FromSeconds(1)), ("hour", TimeSpan.FromHours(1))], log);
        Assert.Equal(TimeSpan.FromHours(1), driver.Now);
        driver.Shutdown(TimeSpan.FromMinutes(1));
        Assert.True(system.WhenTerminated.IsCompleted, "the system did not terminate in virtual time");
    }

    [Fact]
    public void A_system_not_made_for_virtual_time_is_refused()
    {
        using var system = ActorSystem.Create("real");
        Assert.Throws<ArgumentException>(() => new VirtualTimeDriver(system));
    }
}
