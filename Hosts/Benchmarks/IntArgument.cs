using System.Globalization;

namespace MptcpActors.Benchmarks;

/// <summary>The benchmarks' integer options (<c>--name N</c>).</summary>
public static class IntArgument
{
    public static int Read(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
