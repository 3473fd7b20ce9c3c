using System.CommandLine;
using System.Text;
using MptcpActors.Cli;
using MptcpActors.Cli.Demo;
using MptcpActors.Cli.Failover;
using MptcpActors.Cli.Decode;
using MptcpActors.Cli.Info;
using MptcpActors.Cli.Netcat;
using MptcpActors.Cli.Proxy;

var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
Console.SetOut(stdout);
var root = new RootCommand("mptcp: a Multipath TCP (RFC 8684) engine on Akka.NET")
{
    DemoCommand.Create(),
    DecodeCommand.Create(),
    FailoverCommand.Create(),
    NetcatCommands.Listen(),
    NetcatCommands.Connect(),
    ProxyCommand.Create(),
    InfoCommand.Create(),
    MptcpActors.Cli.PathControl.PmCommand.Create(),
    MptcpActors.Cli.Controller.ControllerCommand.Create(),
};
var parse = root.Parse(args);
int code;
if (parse.Errors.Count > 0)
{
    code = CliErrors.Usage(Console.Error, ParseErrors.Describe(parse));
}
else
{
    code = parse.Invoke();
}
stdout.Flush();
return code;
