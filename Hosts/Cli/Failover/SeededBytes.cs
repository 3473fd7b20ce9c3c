using System.Buffers.Binary;

namespace MptcpActors.Cli.Failover;

/// <summary>
/// The pseudo-random bytes a traffic end sends, from its seed (SplitMix64): the same seed gives the same stream. A
/// seeded <see cref="Random"/> makes them one byte at a time, which took a third of a long simulated run.
/// </summary>
public sealed class SeededBytes(int seed)
{
    private ulong _state = (ulong)seed;

    public void Fill(Span<byte> destination)
    {
        while (destination.Length >= sizeof(ulong))
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination, Next());
            destination = destination[sizeof(ulong)..];
        }
        if (destination.IsEmpty) return;
        Span<byte> last = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(last, Next());
        last[..destination.Length].CopyTo(destination);
    }

    private ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
