using System.Runtime.InteropServices;

namespace MptcpActors.Cli;

/// <summary>
/// SIGINT and SIGTERM as a task: the command that runs the engine stops it itself (the peers get MP_FASTCLOSE, --pcap
/// and --stats are completed, the control socket is removed) instead of the runtime ending the process under it.
/// </summary>
public static class StopSignal
{
    private static readonly TaskCompletionSource Stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly Lazy<PosixSignalRegistration[]> Registrations = new(() =>
        [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)]);

    /// <summary>Completes at the first SIGINT or SIGTERM after the first call.</summary>
    public static Task Requested
    {
        get
        {
            _ = Registrations.Value;
            return Stop.Task;
        }
    }

    private static void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Stop.TrySetResult();
    }
}
