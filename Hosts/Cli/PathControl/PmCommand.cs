using System.CommandLine;
using System.Net.Sockets;
using System.Text;

namespace MptcpActors.Cli.PathControl;

/// <summary>
/// <c>mptcp pm --pm-control PATH WORDS...</c>: sends one <see cref="PathControlLine"/> to a running listen/connect's control
/// socket and prints its answer (exit 0 on <c>ok</c>, 1 on <c>error:</c>), like <c>ip mptcp endpoint ...</c> for the engine.
/// </summary>
public static class PmCommand
{
    public static Command Create()
    {
        var control = new Option<FileInfo>("--pm-control") { Description = "the --pm-control socket of a running mptcp listen/connect/proxy", Required = true };
        var words = new Argument<string[]>("COMMAND") { Description = "e.g. endpoint add 10.0.1.2 signal | endpoint delete id 1 | link ve1 down" };
        var c = new Command("pm", "Change a running engine's path manager (endpoints, limits, links) through its --pm-control socket") { control, words };
        c.SetAction(p =>
        {
            try
            {
                using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                s.Connect(new UnixDomainSocketEndPoint(p.GetValue(control)!.FullName));
                using var stream = new NetworkStream(s);
                stream.Write(Encoding.UTF8.GetBytes(string.Join(' ', p.GetValue(words) ?? []) + "\n"));
                s.Shutdown(SocketShutdown.Send);
                var answer = new StreamReader(stream, Encoding.UTF8).ReadLine() ?? "error: no answer";
                Console.Out.WriteLine(answer);
                return answer.StartsWith("ok", StringComparison.Ordinal) ? CliErrors.Ok : CliErrors.Failure(Console.Error, answer["error: ".Length..]);
            }
            catch (SocketException e)
            {
                return CliErrors.Failure(Console.Error, $"--pm-control: {e.Message}");
            }
        });
        return c;
    }
}
