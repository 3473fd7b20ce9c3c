using System.Text.Json;

namespace MptcpActors.Cli.Tests;

/// <summary>
/// CLI.md's contract for the engine commands (listen, connect, proxy) and info, without root: every flag is there with
/// its help, completions come from System.CommandLine's [suggest] directive, --config is HOCON that the flags override,
/// and every bad argument or setting is exit 2 with one `mptcp: error:` line naming it.
/// </summary>
public class CliContractTests
{
    private static readonly string[] EngineFlags =
        ["--iface", "--sim", "--endpoint", "--limits", "--checksum", "--scheduler", "--plain", "--config", "--stats", "--pcap"];

    [Theory]
    [InlineData("listen", new[] { "--port", "--keep-open", "--echo", "--cluster-host", "--cluster-port", "--cluster-seed",
        "--cluster-tls-cert", "--cluster-tls-password-env", "--cluster-tls-ca" })]
    [InlineData("connect", new[] { "HOST", "PORT", "--source", "--echo" })]
    [InlineData("proxy", new[] { "--listen", "--to", "--cluster-host", "--cluster-port", "--cluster-seed",
        "--cluster-tls-cert", "--cluster-tls-password-env", "--cluster-tls-ca" })]
    public void Help_lists_every_flag_of_the_contract(string command, string[] own)
    {
        var r = MptcpProcess.Run(command, "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var flag in EngineFlags.Concat(own)) Assert.Contains(flag, r.Stdout);
    }

    [Fact]
    public void Info_help_lists_its_flags() =>
        Assert.All(new[] { "--pid", "--json" }, f => Assert.Contains(f, MptcpProcess.Run("info", "--help").Stdout));

    /// <summary>What a shell's completion script (dotnet-suggest) asks: the commands, the flags, a flag's values.</summary>
    [Theory]
    [InlineData("pro", "proxy")]
    [InlineData("proxy --schedu", "--scheduler")]
    [InlineData("proxy --scheduler r", "roundrobin")]
    [InlineData("listen --kee", "--keep-open")]
    public void Completions_come_from_the_suggest_directive(string line, string expected)
    {
        var r = MptcpProcess.Run($"[suggest:{line.Length}]", line);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(expected, r.Stdout.Split('\n', StringSplitOptions.TrimEntries));
    }

    /// <summary>
    /// The bash completion script shipped beside the program, as bash runs it on Tab: the words it offers come from the
    /// program (the built `mptcp` apphost, called by the path typed).
    /// </summary>
    [Theory]
    [InlineData("mptcp pro", "proxy")]
    [InlineData("mptcp connect --sched", "--scheduler")]
    [InlineData("mptcp connect --scheduler ", "roundrobin")]
    [InlineData("mptcp info --j", "--json")]
    public void The_bash_completion_script_completes_from_the_program(string line, string expected)
    {
        var typed = Path.Combine(AppContext.BaseDirectory, "mptcp") + line["mptcp".Length..];
        var script = string.Join('\n',
            $"source '{Path.Combine(AppContext.BaseDirectory, "mptcp-completion.bash")}'",
            $"COMP_LINE='{typed}'; COMP_POINT=${{#COMP_LINE}}",
            "read -r -a COMP_WORDS <<< \"$COMP_LINE\"; [[ \"$COMP_LINE\" == *' ' ]] && COMP_WORDS+=('')",
            "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))",
            "_mptcp_complete",
            "printf '%s\\n' \"${COMPREPLY[@]}\"");
        var r = MptcpProcess.Run("bash", ["-c", script]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(expected, r.Stdout.Split('\n', StringSplitOptions.TrimEntries));
    }

    private static string Config(string hocon)
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, hocon);
        return path;
    }

    private static void AssertUsageError(MptcpProcess.Result r, string named)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("mptcp: error: ", line);
        Assert.Contains(named, line);
    }

    /// <summary>Parse errors name what is wrong (the word, the argument, the flag), not the .NET type or a generic phrase.</summary>
    [Theory]
    [InlineData(new string[0], "no command given; one of: connect, ")]
    [InlineData(new[] { "bogus" }, "bogus: unknown command")]
    [InlineData(new[] { "connect" }, "HOST, PORT: missing (mptcp connect HOST PORT)")]
    [InlineData(new[] { "connect", "10.0.1.2", "notaport", "--sim" }, "PORT: 'notaport' is not a whole number")]
    [InlineData(new[] { "connect", "--sim", "10.0.1.2", "5000", "extra" }, "extra: unknown argument")]
    [InlineData(new[] { "demo", "--seed", "x" }, "--seed: 'x' is not a whole number")]
    [InlineData(new[] { "demo", "--scheduler", "nope" }, "--scheduler: unknown scheduler \"nope\"; valid: default, roundrobin, redundant")]
    [InlineData(new[] { "info", "--pid", "x" }, "--pid: 'x' is not a whole number")]
    [InlineData(new[] { "pm" }, "--pm-control: required")]
    [InlineData(new[] { "decode" }, "FILE: missing")]
    public void A_parse_error_is_one_line_naming_the_argument(string[] args, string expected)
    {
        var r = MptcpProcess.Run(args);
        AssertUsageError(r, expected);
        Assert.DoesNotContain("System.", r.Stderr);
    }

    [Theory]
    [InlineData("mptcp.bogus = 1", "mptcp.bogus", true)]                                                     // unknown key
    [InlineData("mptcp.tcp.mss = big", "mptcp.tcp.mss", true)]                                               // wrong type
    [InlineData("mptcp.path-manager.limits.subflows = 9", "mptcp.path-manager.limits.subflows", true)]      // impossible value
    [InlineData("mptcp.path-manager.endpoints = [{ address = \"10.9.9.9\", flags = [subflow] }]", "10.9.9.9", true)] // address on no interface
    // Real interfaces (checked before any is opened, so no root is needed to see the error): one that does not exist.
    [InlineData("mptcp.interfaces = [{ name = nosuchif7, address = \"10.0.0.2/24\" }]", "mptcp.interfaces[0].name", false)]
    public void Bad_configuration_is_exit_2_naming_the_key(string hocon, string named, bool sim)
    {
        var path = Config(hocon);
        try
        {
            foreach (var command in new[] { new[] { "listen" }, ["connect", "10.0.1.2", "5000"], ["proxy", "--listen", "7000", "--to", "127.0.0.1:9"] })
                AssertUsageError(MptcpProcess.Run([.. command, .. sim ? new[] { "--sim" } : [], "--config", path]), named);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("mptcp-cli.bogus = 1", "mptcp-cli.bogus")]
    [InlineData("mptcp-cli.listen.port = 70000", "mptcp-cli.listen.port")]
    [InlineData("mptcp-cli.listen.keep-open = maybe", "mptcp-cli.listen.keep-open")]
    [InlineData("mptcp-cli.proxy.to = \"nohostport\"\nmptcp-cli.proxy.listen = 7000", "mptcp-cli.proxy.to")]
    [InlineData("mptcp-cli.connect.source = \"10.9.9.9\"", "mptcp-cli.connect.source")]
    [InlineData("mptcp-cli { listen { port = 1 }, }}", "--config")]   // not HOCON: the parser's message, on one line
    public void Bad_command_settings_in_the_config_file_are_exit_2_naming_the_key(string hocon, string named)
    {
        var path = Config(hocon);
        try
        {
            var command = hocon.Contains("listen.") || hocon.Contains("{ port") ? new[] { "listen", "--sim" }
                : hocon.Contains("proxy") ? ["proxy", "--sim"] : ["connect", "--sim", "10.0.1.2", "5000"];
            AssertUsageError(MptcpProcess.Run([.. command, "--config", path]), named);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Every flag of the commands is settable in HOCON too (mptcp-cli), and the flag wins over it.</summary>
    [Fact]
    public void Command_flags_come_from_the_config_file_unless_given()
    {
        var stats = Path.GetTempFileName();
        var path = Config($"mptcp-cli {{ sim = on\n stats = \"{stats}\"\n connect.source = \"10.0.2.1\" }}");
        try
        {
            string InitialSubflowAddress()
            {
                using var json = JsonDocument.Parse(File.ReadAllText(stats));
                return json.RootElement.GetProperty("subflows").EnumerateArray()
                    .First(s => s.GetProperty("remote_address").GetString() == "10.0.1.2").GetProperty("local_address").GetString()!;
            }
            var r = MptcpProcess.Run("connect", "10.0.1.2", "5000", "--config", path);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal("10.0.2.1", InitialSubflowAddress());
            r = MptcpProcess.Run("connect", "10.0.1.2", "5000", "--config", path, "--source", "10.0.1.1");
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.Equal("10.0.1.1", InitialSubflowAddress());
        }
        finally
        {
            File.Delete(path);
            File.Delete(stats);
        }
    }

    [Fact]
    public void A_file_the_run_could_not_write_is_refused_before_it_starts() =>
        AssertUsageError(MptcpProcess.Run("connect", "--sim", "10.0.1.2", "5000", "--stats", "/nonexistent/dir/stats.json"), "--stats");

    [Fact]
    public void A_missing_config_file_is_exit_2_naming_the_flag() =>
        AssertUsageError(MptcpProcess.Run("listen", "--sim", "--config", "/nonexistent/mptcp.conf"), "--config");

    [Fact]
    public void A_missing_interface_is_exit_2_naming_the_flag() =>
        AssertUsageError(MptcpProcess.Run("proxy", "--listen", "7000", "--to", "127.0.0.1:9", "--iface", "nosuchif8=10.0.0.2/24"), "--iface");

    [Theory]
    [InlineData("--source", "10.9.9.9")]   // not an address of the engine
    [InlineData("--source", "fd00::1")]    // not one either, and of the other family
    [InlineData("--source", "x")]
    public void A_bad_source_is_exit_2_naming_it(string flag, string value) =>
        AssertUsageError(MptcpProcess.Run("connect", "--sim", flag, value, "10.0.1.2", "5000"), flag);

    /// <summary>The flag wins over --config: an impossible limit in the file is overridden by --limits, so the run goes ahead.</summary>
    [Fact]
    public void Flags_win_over_the_config_file()
    {
        var path = Config("mptcp.path-manager.limits.subflows = 9\nmptcp.scheduler = nosuch");
        try
        {
            var r = MptcpProcess.Run("connect", "--sim", "10.0.1.2", "5000", "--config", path, "--limits", "subflows=2", "--scheduler", "roundrobin");
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>--source picks the initial subflow's address: here the second simulated path's, towards the peer's first address.</summary>
    [Fact]
    public void Source_chooses_the_initial_subflows_address()
    {
        var stats = Path.GetTempFileName();
        try
        {
            var r = MptcpProcess.Run("connect", "--sim", "--source", "10.0.2.1", "10.0.1.2", "5000", "--stats", stats);
            Assert.True(r.ExitCode == 0, r.Stderr);
            using var json = JsonDocument.Parse(File.ReadAllText(stats));
            var first = json.RootElement.GetProperty("subflows").EnumerateArray().First(s => s.GetProperty("remote_address").GetString() == "10.0.1.2");
            Assert.Equal("10.0.2.1", first.GetProperty("local_address").GetString());
        }
        finally
        {
            File.Delete(stats);
        }
    }

    /// <summary>CLI.md "Cluster": the cluster flags are checked before anything starts; a bad one names itself.</summary>
    [Theory]
    [InlineData("--cluster-seed", "--sim", "--cluster-seed", "10.0.0.1:4053")]
    [InlineData("--cluster-host", "--sim", "--cluster-host", "127.0.0.1")]
    [InlineData("--cluster-host", "--iface", "lo=127.0.0.9/8", "--cluster-host", "not-an-address")]
    [InlineData("--cluster-port", "--iface", "lo=127.0.0.9/8", "--cluster-host", "127.0.0.1", "--cluster-port", "70000")]
    [InlineData("--cluster-seed", "--iface", "lo=127.0.0.9/8", "--cluster-host", "127.0.0.1", "--cluster-seed", "nohost")]
    [InlineData("--cluster-tls-cert", "--sim", "--cluster-tls-cert", "node.pfx")]
    [InlineData("--cluster-tls-cert", "--iface", "lo=127.0.0.9/8", "--cluster-host", "127.0.0.1", "--cluster-tls-cert", "/nonexistent/node.pfx")]
    [InlineData("--cluster-tls-cert", "--iface", "lo=127.0.0.9/8", "--cluster-host", "127.0.0.1", "--cluster-tls-ca", "ca.pem")]
    [InlineData("--cluster-tls-password-env", "--iface", "lo=127.0.0.9/8", "--cluster-host", "127.0.0.1", "--cluster-tls-cert", "/nonexistent/node.pfx",
        "--cluster-tls-password-env", "MPTCP_TEST_UNSET_VARIABLE")]
    public void Bad_cluster_flags_are_usage_errors(string named, params string[] args) =>
        AssertUsageError(MptcpProcess.Run(["listen", .. args]), named);
}
