using Akka.Configuration;
using Akka.Event;
using Serilog;
using Serilog.Events;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// Where an engine command's logs go (CLI.md): Akka's log events through Akka.Logger.Serilog to stderr, never stdout,
/// which carries only data. Quiet unless <c>akka.loglevel</c> in --config asks for more.
/// </summary>
public static class StderrLogging
{
    /// <summary>Under --config: a file's akka.loglevel (and dead-letter logging) wins over these.</summary>
    public static readonly Config Defaults = ConfigurationFactory.ParseString("""
        akka.loglevel = OFF
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        akka.loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
        akka.logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
        """);

    /// <summary>
    /// Over --config: Akka's own minimal logger (before the loggers start and while the system shuts down) writes to
    /// stdout by default, where it would corrupt the data.
    /// </summary>
    public static readonly Config Forced = ConfigurationFactory.ParseString(
        $"akka.stdout-logger-class = \"{typeof(StderrMinimalLogger).AssemblyQualifiedName}\"");

    /// <summary>Serilog's global logger, which Akka.Logger.Serilog writes to: every level to stderr (akka.loglevel filters).</summary>
    public static void Start() =>
        Log.Logger = new LoggerConfiguration().MinimumLevel.Verbose()
            .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {LogSource} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();
}

/// <summary>Akka's minimal logger (its stdout logger) writing to stderr instead.</summary>
public sealed class StderrMinimalLogger : MinimalLogger
{
    protected override void Log(object message) => Console.Error.WriteLine(message);
}
