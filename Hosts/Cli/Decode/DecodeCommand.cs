using System.CommandLine;
using System.Text;
using MptcpActors.Transport.Capture;

namespace MptcpActors.Cli.Decode;

/// <summary><c>mptcp decode FILE [--fields F1,F2,...]</c>: tshark's field dump of the TCP frames of a capture (CLI.md).</summary>
public static class DecodeCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "pcap or pcapng capture to decode" };
        var fields = new Option<string?>("--fields")
        {
            Description = "comma-separated tshark field names to print (default: all columns of shared/captures/*.tshark.psv)",
        };
        var command = new Command("decode", "Print one '|'-separated line per TCP frame, as tshark -T fields does") { file, fields };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(fields), Console.Out, Console.Error));
        return command;
    }

    public static int Run(FileInfo file, string? fieldList, TextWriter stdout, TextWriter stderr)
    {
        string[] names = fieldList is null ? DecodeFields.Default : fieldList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var indexes = new int[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            if (!DecodeFields.TryGetIndex(names[i], out indexes[i]))
                return CliErrors.Usage(stderr, $"--fields: unknown field '{names[i]}' (known: {string.Join(", ", DecodeFields.Default.Concat(DecodeFields.Extra))})");
        }
        if (names.Length == 0) return CliErrors.Usage(stderr, "--fields: no field named");
        if (!file.Exists) return CliErrors.Usage(stderr, $"FILE: '{file.FullName}' does not exist");
        PcapReader reader;
        try
        {
            reader = PcapReader.Open(file.FullName);
        }
        catch (Exception e) when (e is CaptureFormatException or IOException or UnauthorizedAccessException)
        {
            return CliErrors.Failure(stderr, $"FILE: {file.Name}: {e.Message}");
        }
        using (reader)
        {
            var line = new StringBuilder();
            stdout.Write(string.Join('|', names));
            stdout.Write('\n');
            foreach (var frame in new CaptureDecoder().Decode(reader.ReadAll()))
            {
                line.Clear();
                for (var i = 0; i < indexes.Length; i++)
                {
                    if (i > 0) line.Append('|');
                    line.Append(frame.Fields.Format(indexes[i]));
                }
                line.Append('\n');
                stdout.Write(line);
                foreach (var w in frame.Warnings) stderr.WriteLine($"mptcp: warning: {w}");
            }
        }
        stdout.Flush();
        return CliErrors.Ok;
    }
}
