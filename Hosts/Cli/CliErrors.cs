namespace MptcpActors.Cli;

/// <summary>Exit codes and the one-line error format of CLI.md.</summary>
public static class CliErrors
{
    public const int Ok = 0;
    public const int RuntimeFailure = 1;
    public const int BadUsage = 2;

    public static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine($"mptcp: error: {OneLine(message)}");
        return BadUsage;
    }

    public static int Failure(TextWriter stderr, string message)
    {
        stderr.WriteLine($"mptcp: error: {OneLine(message)}");
        return RuntimeFailure;
    }

    // Messages from libraries may span lines (the HOCON parser quotes the offending line under its message): scripts
    // read one line per error.
    private static string OneLine(string message) =>
        string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
