namespace MptcpActors.Actors.Tests.Interface;

/// <summary>
/// Tests that count bytes allocated on a thread that hands messages to actors run alone: with other tests' actors busy,
/// the thread pool's shared queue grows, and enqueueing onto it allocates on the measuring thread.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurement
{
    public const string Name = "allocation measurement";
}
