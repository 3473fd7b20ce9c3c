using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MptcpActors.Cli.Failover;

/// <summary>
/// The pseudo-random bytes a traffic end sends, from its seed (SplitMix64): the same seed gives the same stream. A
/// seeded <see cref="Random"/> makes them one byte at a time, which took a third of a long simulated run.
/// </summary>
public sealed class SeededBytes(int seed)
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;
    private const ulong Mix1 = 0xBF58476D1CE4E5B9;
    private const ulong Mix2 = 0x94D049BB133111EB;
    private ulong _state = (ulong)seed;

    public void Fill(Span<byte> destination)
    {
        // Output n is Mix(state + n·Gamma): four at once are four lanes a Gamma apart, where 64-bit vector multiplies are
        // native (AVX-512DQ); a simulated transfer makes every byte it sends here.
        if (Avx512DQ.VL.IsSupported && BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(destination);
            var whole = words.Length & ~3;
            var lanes = Vector256.Create(_state) + Vector256.Create(1UL, 2, 3, 4) * Gamma;
            ref var first = ref MemoryMarshal.GetReference(words);
            for (var i = 0; i < whole; i += 4)
            {
                Mix(lanes).StoreUnsafe(ref first, (nuint)i);
                lanes += Vector256.Create(unchecked(4 * Gamma));
            }
            _state += (ulong)whole * Gamma;
            destination = destination[(whole * sizeof(ulong))..];
        }
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
        var z = _state += Gamma;
        z = (z ^ (z >> 30)) * Mix1;
        z = (z ^ (z >> 27)) * Mix2;
        return z ^ (z >> 31);
    }

    private static Vector256<ulong> Mix(Vector256<ulong> z)
    {
        z = (z ^ (z >> 30)) * Vector256.Create(Mix1);
        z = (z ^ (z >> 27)) * Vector256.Create(Mix2);
        return z ^ (z >> 31);
    }
}
