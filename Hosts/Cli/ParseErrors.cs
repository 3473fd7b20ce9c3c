using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace MptcpActors.Cli;

/// <summary>
/// System.CommandLine's parse errors as CLI.md's one line that names the offending argument: an unknown word, a missing
/// command or argument, a value that is not of its type, a required option left out.
/// </summary>
public static partial class ParseErrors
{
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var usage = $"(mptcp {string.Join(' ', CommandPath(parse.CommandResult))} --help)".Replace("  ", " ");
        if (parse.UnmatchedTokens.Count > 0)
        {
            var word = parse.UnmatchedTokens[0];
            var kind = word.StartsWith('-') ? "option" : command is RootCommand ? "command" : "argument";
            return $"{word}: unknown {kind} {usage}";
        }
        if (command is RootCommand)
            return $"no command given; one of: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).Order())} (mptcp --help)";
        foreach (var error in parse.Errors)
        {
            if (error.SymbolResult is ArgumentResult { Tokens.Count: > 0 } a)
            {
                var name = a.Parent is OptionResult o ? o.Option.Name : a.Argument.Name;
                return $"{name}: '{a.Tokens[0].Value}' is not {Describe(a.Argument.ValueType)}";
            }
            if (error.SymbolResult is OptionResult { Tokens.Count: > 0 } option)
                return $"{option.Option.Name}: '{option.Tokens[0].Value}' is not {Describe(option.Option.ValueType)}";
        }
        var missing = command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && parse.GetResult(a) is not { Tokens.Count: > 0 }).ToList();
        if (missing.Count > 0)
            return $"{string.Join(", ", missing.Select(a => a.Name))}: missing (mptcp {string.Join(' ', CommandPath(parse.CommandResult))} " +
                   $"{string.Join(' ', command.Arguments.Select(a => a.Name))})";
        var message = parse.Errors[0].Message;
        return RequiredOption().Match(message) is { Success: true } m ? $"{m.Groups[1].Value}: required {usage}" : message;
    }

    private static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (SymbolResult? r = result; r is CommandResult c && c.Command is not RootCommand; r = r.Parent) names.Push(c.Command.Name);
        return names;
    }

    private static string Describe(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            var t when t == typeof(int) || t == typeof(long) || t == typeof(ushort) => "a whole number",
            var t when t == typeof(double) => "a number",
            var t when t.IsEnum => $"one of {string.Join(", ", Enum.GetNames(t).Select(n => n.ToLowerInvariant()))}",
            var t => $"a {t.Name}",
        };

    [GeneratedRegex("^Option '(.+)' is required\\.$")]
    private static partial Regex RequiredOption();
}
