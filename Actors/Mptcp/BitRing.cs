using System.Buffers;
using System.Numerics;

namespace MptcpActors.Actors.Mptcp;

/// <summary>
/// One bit per slot of a <see cref="Tcp.ByteRing"/>: which slots hold bytes that arrived ahead of the in-order data.
/// A bit per byte rather than a list of ranges lets an insert find the holes an overlapping chunk may fill (what is
/// already held is never rewritten) word by word, with no list to grow or shift. Its words come from the shared pool
/// and go back there when the ring is released (an idle connection holds none).
/// </summary>
internal sealed class BitRing
{
    private ulong[] _words;
    private int _length;

    public BitRing(int length)
    {
        _length = length;
        _words = Rent(length);
    }

    public int Length => _length;

    /// <summary>
    /// Grows to <paramref name="newLength"/> slots, the old ones in order from <paramref name="start"/> moved to 0 on
    /// (as a <see cref="Tcp.ByteRing"/> moves its bytes when it grows).
    /// </summary>
    public void Grow(int start, int newLength)
    {
        var old = _words;
        var oldLength = _length;
        _words = Rent(newLength);
        _length = newLength;
        for (var i = 0; i < oldLength;)
        {
            var ones = Run(old, oldLength, (start + i) % oldLength, oldLength - i, value: true);
            if (ones > 0) LinearFill(i, i + ones, value: true);
            i += ones;
            if (i < oldLength) i += Run(old, oldLength, (start + i) % oldLength, oldLength - i, value: false);
        }
        Return(old);
    }

    /// <summary>Gives the words back: no slots until the next <see cref="Grow"/>. Only when no bit is set.</summary>
    public void Release()
    {
        Return(_words);
        _words = [];
        _length = 0;
    }

    /// <summary>
    /// How many slots from <paramref name="start"/> on (at most <paramref name="max"/>, wrapping) hold <paramref name="value"/>;
    /// never more than the ring has, however large <paramref name="max"/> (the reassembly asks up to its window).
    /// </summary>
    public int Run(int start, int max, bool value) => Run(_words, _length, start, Math.Min(max, _length), value);

    /// <summary>Sets <paramref name="count"/> slots from <paramref name="start"/> on (wrapping) to <paramref name="value"/>.</summary>
    public void Fill(int start, int count, bool value)
    {
        var first = Math.Min(count, _length - start);
        LinearFill(start, start + first, value);
        LinearFill(0, count - first, value);
    }

    private static int Run(ulong[] words, int length, int start, int max, bool value)
    {
        var first = Math.Min(max, length - start);
        var run = LinearRun(words, start, start + first, value);
        return run < first || first == max ? run : run + LinearRun(words, 0, max - first, value);
    }

    private static int LinearRun(ulong[] words, int from, int to, bool value)
    {
        var i = from;
        while (i < to)
        {
            var word = words[i >> 6];
            // Ones where a slot differs from value: the first of them ends the run.
            var breaks = (value ? ~word : word) >> (i & 63);
            if (breaks != 0) return Math.Min(i + BitOperations.TrailingZeroCount(breaks), to) - from;
            i = (i | 63) + 1;
        }
        return to - from;
    }

    private void LinearFill(int from, int to, bool value)
    {
        while (from < to)
        {
            var bit = from & 63;
            var n = Math.Min(64 - bit, to - from);
            var mask = (n == 64 ? ulong.MaxValue : (1UL << n) - 1) << bit;
            if (value) _words[from >> 6] |= mask;
            else _words[from >> 6] &= ~mask;
            from += n;
        }
    }

    // Pooled words hold another ring's bits: cleared, as far as this ring's slots go.
    private static ulong[] Rent(int length)
    {
        var count = (length + 63) / 64;
        if (count == 0) return [];
        var words = ArrayPool<ulong>.Shared.Rent(count);
        Array.Clear(words, 0, count);
        return words;
    }

    private static void Return(ulong[] words)
    {
        if (words.Length > 0) ArrayPool<ulong>.Shared.Return(words);
    }
}
