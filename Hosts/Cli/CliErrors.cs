namespace MptcpActors.Cli;

/// <summary>Exit codes and the one-line error format of CLI.md.</summary>
public static class CliErrors
{
    public const int Ok = 0;
    public const int RuntimeFailure = 1;
    public const int BadUsage = 2;

    public static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine($"mptcp: error: {message}");
        return BadUsage;
    }

    public static int Failure(TextWriter stderr, string message)
    {
        stderr.WriteLine($"mptcp: error: {message}");
        return RuntimeFailure;
    }
}
