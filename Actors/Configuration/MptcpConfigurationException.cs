using Akka.Configuration;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// The mptcp section of a config is invalid. <see cref="Key"/> is the path of the first bad
/// setting, <see cref="Errors"/> holds every one found, so a user fixes a file in one go.
/// Derives from Akka's <see cref="ConfigurationException"/> so hosts that already catch that
/// for bad Akka config catch this too.
/// </summary>
public sealed class MptcpConfigurationException : ConfigurationException
{
    public MptcpConfigurationException(string key, string message)
        : this([new MptcpConfigurationError(key, message)])
    {
    }

    public MptcpConfigurationException(IReadOnlyList<MptcpConfigurationError> errors)
        : base(Describe(errors))
    {
        Errors = errors;
        Key = errors[0].Key;
    }

    /// <summary>Full path of the first invalid setting, e.g. <c>mptcp.path-manager.limits.subflows</c>.</summary>
    public string Key { get; }

    public IReadOnlyList<MptcpConfigurationError> Errors { get; }

    // One line, first error first: the CLI prints it as a single `mptcp: error: ...` line.
    private static string Describe(IReadOnlyList<MptcpConfigurationError> errors)
    {
        ArgumentOutOfRangeException.ThrowIfZero(errors.Count, nameof(errors));
        return string.Join("; ", errors);
    }
}
