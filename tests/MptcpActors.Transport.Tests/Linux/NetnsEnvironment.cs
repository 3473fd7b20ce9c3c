using System.Diagnostics;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>
/// The tests that create network namespaces and raw sockets. They run one at a time and alone (nothing else in
/// parallel), so interface names and throughput numbers are not disturbed.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetnsCollection
{
    public const string Name = "Linux network namespaces (root)";
}

/// <summary>Preconditions of the namespace tests and the <c>ip</c> command they drive.</summary>
internal static class NetnsEnvironment
{
    /// <summary>
    /// Fails the calling test (never skips it) when it cannot do its job here: not Linux, not root, or no iproute2.
    /// CI runs the suite as root, so a failure here is a broken environment, not an optional test.
    /// </summary>
    public static void RequireRoot()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Fail("This test drives AF_PACKET sockets and network namespaces: it needs Linux.");
        if (!Environment.IsPrivilegedProcess)
            Assert.Fail("This test needs root (CAP_NET_ADMIN to create network namespaces and veth pairs, CAP_NET_RAW for "
                + "AF_PACKET sockets); it is not skipped because CI runs as root. Run the tests as root, e.g. "
                + "`sudo dotnet test tests/MptcpActors.Transport.Tests`.");
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") && !File.Exists("/bin/ip"))
            Assert.Fail("This test needs the `ip` command (iproute2): apt-get install iproute2.");
    }

    /// <summary>Runs <c>ip ARGS</c>; throws with its stderr when it fails.</summary>
    public static string Ip(params string[] args) => Run("ip", args);

    /// <summary>Runs a program; returns stdout; throws with stderr on a non-zero exit unless <paramref name="check"/> is false.</summary>
    public static string Run(string program, IReadOnlyList<string> args, bool check = true, int timeoutMs = 15_000)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        process.WaitForExit();
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"`{program} {string.Join(' ', args)}` exited with {process.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result;
    }
}
