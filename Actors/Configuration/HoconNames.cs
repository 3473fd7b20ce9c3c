namespace MptcpActors.Actors.Configuration;

/// <summary>
/// The spellings an enum setting accepts in HOCON. Names are the lower-case words Linux uses
/// (sysctl values, <c>ip mptcp</c> keywords) and are matched exactly, as the kernel does.
/// </summary>
public sealed class HoconNames<T> where T : struct, Enum
{
    private readonly (string Name, T Value)[] _entries;

    public HoconNames(params (string Name, T Value)[] entries) => _entries = entries;

    public IEnumerable<string> Names => _entries.Select(e => e.Name);

    public bool TryParse(string name, out T value)
    {
        foreach (var entry in _entries)
        {
            if (entry.Name == name)
            {
                value = entry.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    public string NameOf(T value)
    {
        foreach (var entry in _entries)
        {
            if (EqualityComparer<T>.Default.Equals(entry.Value, value))
                return entry.Name;
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, $"no HOCON name for {typeof(T).Name}.{value}");
    }

    /// <summary>The accepted names, comma-separated, as error messages list them.</summary>
    public override string ToString() => string.Join(", ", Names);
}
