using System.Globalization;
using Akka.Configuration.Hocon;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// Reads the keys of one HOCON object for the settings records. It records problems instead of
/// throwing, so one run reports every bad key of a file; a getter that fails returns a placeholder
/// the caller never sees, because <see cref="MptcpSettings.Create(Akka.Configuration.Config)"/> throws
/// when any error was recorded. Public so hosts read their own sections (the CLI's <c>mptcp-cli</c>) with the same
/// typed, key-naming errors.
/// </summary>
public sealed class ConfigReader
{
    private readonly IReadOnlyDictionary<string, HoconValue> _items;
    private readonly List<MptcpConfigurationError> _errors;
    // Ordered, so "known keys here" lists them as akka.hocon does.
    private readonly List<string> _known = [];
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

    // A reader over a value that is not an object: it reports nothing more, one error per bad value is enough.
    private readonly bool _broken;

    private ConfigReader(string path, IReadOnlyDictionary<string, HoconValue> items, List<MptcpConfigurationError> errors, bool broken)
    {
        Path = path;
        _items = items;
        _errors = errors;
        _broken = broken;
    }

    /// <summary>Full HOCON path of this object, e.g. <c>mptcp.path-manager.endpoints[2]</c>.</summary>
    public string Path { get; }

    public static ConfigReader ForObject(HoconValue? value, string path, List<MptcpConfigurationError> errors)
    {
        if (value is null || IsNull(value))
        {
            errors.Add(new(path, "has no value"));
            return new(path, new Dictionary<string, HoconValue>(), errors, broken: true);
        }

        if (!value.IsObject())
        {
            errors.Add(new(path, $"expected an object, got {Describe(value)}"));
            return new(path, new Dictionary<string, HoconValue>(), errors, broken: true);
        }

        return new(path, value.GetObject().Items, errors, broken: false);
    }

    public string KeyPath(string key) => $"{Path}.{key}";

    public void Fail(string key, string message)
    {
        _failed.Add(key);
        _errors.Add(new(KeyPath(key), message));
    }

    /// <summary>Whether reading <paramref name="key"/> failed, so cross-key checks skip values already reported.</summary>
    public bool Failed(string key) => _broken || _failed.Contains(key);

    public ConfigReader Section(string key) => ForObject(Raw(key), KeyPath(key), _errors);

    public bool Bool(string key)
    {
        switch (Scalar(key, "true or false"))
        {
            case null:
                return false;
            case "true" or "yes" or "on":
                return true;
            case "false" or "no" or "off":
                return false;
            case var text:
                Fail(key, $"expected true or false, got '{text}'");
                return false;
        }
    }

    public int Int(string key, int min, int max, string minName = "the minimum", string maxName = "the maximum") =>
        Scalar(key, "a whole number") is { } text ? CheckInt(key, text, min, max, minName, maxName) : min;

    public int? OptionalInt(string key, int min, int max) =>
        OptionalScalar(key, "a whole number") is { } text ? CheckInt(key, text, min, max, "the minimum", "the maximum") : null;

    public TimeSpan Duration(string key, TimeSpan min, TimeSpan max, string minName = "the minimum", string maxName = "the maximum")
    {
        if (Scalar(key, HoconDuration.Expected) is not { } text)
            return min;
        if (!HoconDuration.TryParse(text, out var value, out var problem))
        {
            Fail(key, problem);
            return min;
        }

        if (value < min)
            Fail(key, $"{text} is below {minName} of {HoconDuration.Format(min)}");
        else if (value > max)
            Fail(key, $"{text} is above {maxName} of {HoconDuration.Format(max)}");
        return value;
    }

    public int ByteSize(string key, int min, int max, string maxName = "the maximum")
    {
        if (Scalar(key, HoconByteSize.Expected) is not { } text)
            return min;
        if (!HoconByteSize.TryParse(text, out var value, out var problem))
        {
            Fail(key, problem);
            return min;
        }

        if (value < min)
        {
            Fail(key, $"{text} is below the minimum of {HoconByteSize.Format(min)}");
            return min;
        }

        if (value > max)
        {
            Fail(key, $"{text} is above {maxName} of {HoconByteSize.Format(max)}");
            return max;
        }

        return (int)value;
    }

    public T Enum<T>(string key, HoconNames<T> names) where T : struct, System.Enum =>
        Scalar(key, $"one of {names}") is { } text ? CheckName(key, text, names) : default;

    public T? OptionalEnum<T>(string key, HoconNames<T> names) where T : struct, System.Enum =>
        OptionalScalar(key, $"one of {names}") is { } text ? CheckName(key, text, names) : null;

    public string Text(string key)
    {
        var text = Scalar(key, "a string");
        if (text is "")
            Fail(key, "must not be empty");
        return text ?? "";
    }

    public string? OptionalText(string key) => OptionalScalar(key, "a string");

    /// <summary>The objects of a list, each read under <c>key[i]</c>. A missing list is an error; an empty one is not.</summary>
    public IReadOnlyList<ConfigReader> Objects(string key) => Objects(key, required: true);

    /// <summary>The objects of a list that may be left out (then none).</summary>
    public IReadOnlyList<ConfigReader> OptionalObjects(string key) => Objects(key, required: false);

    private IReadOnlyList<ConfigReader> Objects(string key, bool required)
    {
        var value = Raw(key);
        if (value is null || IsNull(value))
        {
            if (required) Missing(key);
            return [];
        }

        if (!IsList(value))
        {
            Fail(key, $"expected a list, got {Describe(value)}");
            return [];
        }

        return Items(value)
            .Select((item, i) => ForObject(item, $"{KeyPath(key)}[{i}]", _errors))
            .ToList();
    }

    /// <summary>The names in an optional list of words (e.g. endpoint flags), each checked against <paramref name="names"/>.</summary>
    public IReadOnlyList<T> OptionalEnumList<T>(string key, HoconNames<T> names) where T : struct, System.Enum
    {
        var value = Raw(key);
        if (value is null || IsNull(value))
            return [];
        if (!IsList(value))
        {
            Fail(key, $"expected a list of {names}, got {Describe(value)}");
            return [];
        }

        var result = new List<T>();
        var items = Items(value);
        for (var i = 0; i < items.Count; i++)
        {
            var itemKey = $"{key}[{i}]";
            if (!items[i].IsString() || items[i].GetString() is not { } text)
                Fail(itemKey, $"expected one of {names}, got {Describe(items[i])}");
            else if (names.TryParse(text, out var parsed))
                result.Add(parsed);
            else
                Fail(itemKey, $"'{text}' is not one of {names}");
        }

        return result;
    }

    /// <summary>
    /// Reports every key of this object that no getter asked for. A misspelt key (<c>schedular</c>)
    /// would otherwise be ignored silently and the default used, which is worse than failing.
    /// </summary>
    public void RejectUnknownKeys()
    {
        if (_broken)
            return;
        foreach (var key in _items.Keys.Where(k => !_known.Contains(k)))
        {
            var suggestion = _known.MinBy(known => EditDistance(key, known));
            Fail(key, suggestion is not null && EditDistance(key, suggestion) <= 2
                ? $"unknown key (did you mean '{suggestion}'?)"
                : $"unknown key; known keys here: {string.Join(", ", _known)}");
        }
    }

    private HoconValue? Raw(string key)
    {
        if (!_known.Contains(key))
            _known.Add(key);
        return _items.GetValueOrDefault(key);
    }

    private string? Scalar(string key, string expected)
    {
        var value = Raw(key);
        if (value is null || IsNull(value))
        {
            Missing(key);
            return null;
        }

        return CheckScalar(key, value, expected);
    }

    private string? OptionalScalar(string key, string expected)
    {
        var value = Raw(key);
        return value is null || IsNull(value) ? null : CheckScalar(key, value, expected);
    }

    private string? CheckScalar(string key, HoconValue value, string expected)
    {
        if (value.IsString())
            return value.GetString();
        Fail(key, $"expected {expected}, got {Describe(value)}");
        return null;
    }

    private void Missing(string key)
    {
        if (!_broken)
            Fail(key, "has no value");
    }

    private int CheckInt(string key, string text, int min, int max, string minName, string maxName)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value != decimal.Truncate(value))
        {
            Fail(key, $"expected a whole number, got '{text}'");
            return min;
        }

        if (value < min)
        {
            Fail(key, $"{text} is below {minName} of {min}");
            return min;
        }

        if (value > max)
        {
            Fail(key, $"{text} is above {maxName} of {max}");
            return max;
        }

        return (int)value;
    }

    private T CheckName<T>(string key, string text, HoconNames<T> names) where T : struct, System.Enum
    {
        if (names.TryParse(text, out var value))
            return value;
        Fail(key, $"'{text}' is not one of {names}");
        return default;
    }

    // Akka's HOCON keeps `key = null` as a string value whose text is null.
    private static bool IsNull(HoconValue value) => value.IsString() && value.GetString() is null;

    // Akka's HoconValue.IsArray() is false for an empty list, which is still a list, also when the spaces after it on
    // its line (`faults = [] }`) come along as a literal.
    private static bool IsList(HoconValue value) =>
        value.IsArray() || (value.Values.Count(v => v is HoconArray) == 1
                            && value.Values.All(v => v is HoconArray || v is HoconLiteral { Value: var text } && string.IsNullOrWhiteSpace(text)));

    // An empty list written over several lines (`[` newline `]`) reads as one item without any value: no item at all.
    private static List<HoconValue> Items(HoconValue list) =>
        list.Values.OfType<HoconArray>().SelectMany(a => a).Where(item => item.Values.Count > 0).ToList();

    private static string Describe(HoconValue value) =>
        value.IsObject() ? "an object"
        : IsList(value) ? "a list"
        : $"'{value.GetString()}'";

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }

        return previous[b.Length];
    }
}
