using System.Globalization;
using System.Security;
using System.Text;

namespace MptcpActors.Cli.Failover;

/// <summary>
/// The picture of a run: throughput per path over time, one line per path (the kernel's run dashed beside the
/// engine's with --compare kernel), each fault a vertical line labelled with what happened. Hand-written SVG: no
/// native dependency, byte-identical for identical runs.
/// </summary>
public static class ThroughputSvg
{
    private const int Width = 960, Height = 440, Left = 60, Right = 170, Top = 30, Bottom = 50;
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    public static void Write(string file, Scenario scenario, FailoverOutcome engine, FailoverOutcome? kernel) =>
        File.WriteAllText(file, Render(scenario, engine, kernel));

    public static string Render(Scenario scenario, FailoverOutcome engine, FailoverOutcome? kernel)
    {
        var runs = kernel is null ? new[] { ("engine", engine) } : [("engine", engine), ("kernel", kernel)];
        var tMax = Math.Max(runs.SelectMany(r => r.Item2.Series).SelectMany(s => s.TS).DefaultIfEmpty(1).Max(), 0.1);
        var yMax = NiceCeiling(runs.SelectMany(r => r.Item2.Series).SelectMany(s => s.Mbps).DefaultIfEmpty(1).Max());
        double X(double t) => Left + t / tMax * (Width - Left - Right);
        double Y(double mbps) => Height - Bottom - mbps / yMax * (Height - Top - Bottom);
        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Inv($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Inv($"<text x=\"{Left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{Escape(scenario.Name)}: throughput per path</text>\n"));
        for (var i = 0; i <= 5; i++)
        {
            var v = yMax * i / 5;
            svg.Append(Inv($"<line x1=\"{Left}\" y1=\"{Y(v):F1}\" x2=\"{Width - Right}\" y2=\"{Y(v):F1}\" stroke=\"#e0e0e0\"/>"));
            svg.Append(Inv($"<text x=\"{Left - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:0.##}</text>\n"));
            var t = tMax * i / 5;
            svg.Append(Inv($"<text x=\"{X(t):F1}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{t:0.#}</text>\n"));
        }
        svg.Append(Inv($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">time (s)</text>\n"));
        svg.Append(Inv($"<text x=\"16\" y=\"{(Top + Height - Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {(Top + Height - Bottom) / 2})\">Mbit/s</text>\n"));
        svg.Append(Inv($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#404040\"/>\n"));
        foreach (var f in scenario.Faults)
        {
            var x = X(f.At.TotalSeconds);
            svg.Append(Inv($"<line x1=\"{x:F1}\" y1=\"{Top}\" x2=\"{x:F1}\" y2=\"{Height - Bottom}\" stroke=\"#c00000\" stroke-dasharray=\"4 3\"/>"));
            svg.Append(Inv($"<text x=\"{x + 3:F1}\" y=\"{Top + 12}\" fill=\"#c00000\" transform=\"rotate(90 {x + 3:F1} {Top + 12})\">{Escape($"{f.Path} {f.Describe()}")}</text>\n"));
        }
        var legend = Top + 10;
        foreach (var (label, run) in runs)
        {
            for (var p = 0; p < run.Series.Count; p++)
            {
                var s = run.Series[p];
                var color = Colors[scenario.Paths.Select(q => q.Name).ToList().IndexOf(s.Path) % Colors.Length];
                var dash = label == "kernel" ? " stroke-dasharray=\"6 3\"" : "";
                var points = string.Join(" ", s.TS.Select((t, i) => Inv($"{X(t):F1},{Y(s.Mbps[i]):F1}")));
                svg.Append(Inv($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"{dash} points=\"{points}\"/>\n"));
                svg.Append(Inv($"<line x1=\"{Width - Right + 10}\" y1=\"{legend}\" x2=\"{Width - Right + 34}\" y2=\"{legend}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>"));
                svg.Append(Inv($"<text x=\"{Width - Right + 40}\" y=\"{legend + 4}\">{Escape(kernel is null ? s.Path : $"{s.Path} ({label})")}</text>\n"));
                legend += 18;
            }
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static double NiceCeiling(double v)
    {
        if (v <= 0) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
            if (step * magnitude >= v) return step * magnitude;
        return 10 * magnitude;
    }

    private static string Escape(string text) => SecurityElement.Escape(text);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
