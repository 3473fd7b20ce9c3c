using MptcpActors.Transport.Capture;

namespace MptcpActors.Transport.Tests;

/// <summary>The Linux-kernel captures in ../shared/captures and tshark's decoding of them.</summary>
public static class SharedCaptures
{
    public static readonly string Directory = Locate();

    public static IEnumerable<object[]> Names() =>
        System.IO.Directory.GetFiles(Directory, "*.pcap").Select(p => new object[] { Path.GetFileNameWithoutExtension(p) }).OrderBy(n => (string)n[0]);

    public static List<CapturedFrame> Frames(string name)
    {
        using var r = PcapReader.Open(Path.Combine(Directory, name + ".pcap"));
        return r.ReadAll().ToList();
    }

    /// <summary>tshark's rows keyed by frame number; each row maps field name to its (possibly comma-joined) value.</summary>
    public static Dictionary<int, Dictionary<string, string>> Tshark(string name)
    {
        var lines = File.ReadAllLines(Path.Combine(Directory, name + ".tshark.psv"));
        var header = lines[0].Split('|');
        return lines.Skip(1).Select(l => l.Split('|')).ToDictionary(v => int.Parse(v[0]),
            v => header.Zip(v).Where(p => p.Second.Length > 0).ToDictionary(p => p.First, p => p.Second));
    }

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MptcpActors.sln")))
            {
                var shared = Path.Combine(dir.FullName, "..", "shared", "captures");
                if (System.IO.Directory.Exists(shared)) return Path.GetFullPath(shared);
                throw new InvalidOperationException($"../shared/captures is missing beside the repository at {dir.FullName}");
            }
        }
        throw new InvalidOperationException("repository root (MptcpActors.sln) not found above " + AppContext.BaseDirectory);
    }
}
