using System.Buffers.Binary;
using System.Numerics;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// Seeded pseudo-random stream (xoshiro256**, seeded through SplitMix64). Written out here rather than using
/// <see cref="System.Random"/> so that a seed means the same run on every .NET version and platform, and so that
/// named streams can be derived from one seed without depending on the order components are created in.
/// Not thread-safe (a simulation is single-threaded; a wrapper on a real device keeps one stream per direction).
/// </summary>
public sealed class SimRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareGaussian;
    private bool _hasSpare;

    public SimRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The stream named <paramref name="stream"/> of <paramref name="seed"/> (FNV-1a of the name, not string.GetHashCode, which changes per process).</summary>
    public static SimRandom Create(ulong seed, string stream)
    {
        var h = 14695981039346656037UL;
        foreach (var c in stream)
        {
            h = (h ^ (byte)c) * 1099511628211UL;
            h = (h ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        var mixed = seed ^ h;
        return new SimRandom(SplitMix64(ref mixed));
    }

    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>) without modulo bias (Lemire's method).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        var range = (ulong)maxExclusive;
        var m = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var threshold = (0 - range) % range;
            while (low < threshold) m = Math.BigMul(NextUInt64(), range, out low);
        }
        return (int)m;
    }

    /// <summary>Uniform in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int minInclusive, int maxExclusive) => minInclusive + NextInt(maxExclusive - minInclusive);

    /// <summary>True with probability <paramref name="p"/>; draws nothing when p is 0 or 1, so such settings do not shift the stream.</summary>
    public bool Chance(double p) => p >= 1 || (p > 0 && NextDouble() < p);

    /// <summary>Standard normal (Box–Muller; the second value of each pair is kept for the next call).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareGaussian;
        }
        double u;
        do u = NextDouble(); while (u == 0);
        var v = NextDouble();
        var r = Math.Sqrt(-2 * Math.Log(u));
        _spareGaussian = r * Math.Sin(2 * Math.PI * v);
        _hasSpare = true;
        return r * Math.Cos(2 * Math.PI * v);
    }

    public void NextBytes(Span<byte> buffer)
    {
        while (buffer.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, NextUInt64());
            buffer = buffer[8..];
        }
        if (buffer.IsEmpty) return;
        var last = NextUInt64();
        for (var i = 0; i < buffer.Length; i++, last >>= 8) buffer[i] = (byte)last;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
