namespace MptcpActors.Cli.Decode;

/// <summary>The values of every known field for one frame; a field seen several times keeps each value in order.</summary>
public sealed class FrameFields
{
    private readonly List<string>?[] _values = new List<string>?[DecodeFields.Count];

    public void Add(string field, string value) => (_values[DecodeFields.IndexOf(field)] ??= []).Add(value);

    public IReadOnlyList<string> Get(string field) => _values[DecodeFields.IndexOf(field)] ?? (IReadOnlyList<string>)[];

    /// <summary>Several values joined by ',' (tshark's -E aggregator=,), empty when absent.</summary>
    public string Format(int fieldIndex) => _values[fieldIndex] is { } v ? string.Join(',', v) : "";
}
