using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>One classic BPF instruction (struct sock_filter), as <c>tcpdump -dd</c> prints them.</summary>
public readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K)
{
    // Opcode parts (linux/filter.h, linux/bpf_common.h).
    public const ushort Ld = 0x00, Ldx = 0x01, Alu = 0x04, Jmp = 0x05, Ret = 0x06, Misc = 0x07;
    public const ushort W = 0x00, H = 0x08, B = 0x10;
    public const ushort Imm = 0x00, Abs = 0x20, Ind = 0x40, Mem = 0x60, Len = 0x80, Msh = 0xa0;
    public const ushort Ja = 0x00, Jeq = 0x10, Jgt = 0x20, Jge = 0x30, Jset = 0x40;
    public const ushort SrcK = 0x00, SrcX = 0x08, RetA = 0x10;

    /// <summary>The ancillary-data area (SKF_AD_OFF) and the "a VLAN tag was stripped into metadata" word in it.</summary>
    public const uint AncillaryOffset = 0xFFFFF000;
    public const uint AncillaryVlanTagPresent = AncillaryOffset + 48;

    public static BpfInstruction LoadWord(uint offset) => new(Ld | W | Abs, 0, 0, offset);
    public static BpfInstruction LoadHalf(uint offset) => new(Ld | H | Abs, 0, 0, offset);
    public static BpfInstruction LoadByte(uint offset) => new(Ld | B | Abs, 0, 0, offset);
    public static BpfInstruction JumpIfEqual(uint value, byte ifTrue, byte ifFalse) => new(Jmp | Jeq | SrcK, ifTrue, ifFalse, value);
    public static BpfInstruction JumpAlways(uint offset) => new(Jmp | Ja, 0, 0, offset);
    public static BpfInstruction Return(uint snapLength) => new(Ret | SrcK, 0, 0, snapLength);

    public override string ToString() => $"{{ 0x{Code:x2}, {JumpTrue}, {JumpFalse}, 0x{K:x8} }}";
}

/// <summary>
/// A classic BPF program for SO_ATTACH_FILTER: the kernel runs it on every frame before queueing it on the socket and
/// drops the frames it returns 0 for. <see cref="ForAddresses"/> builds the engine's usual one; any program the kernel
/// accepts can be given as instructions. Immutable: to change what passes, attach another one
/// (<see cref="AfPacketDevice.SetFilter"/>), which the kernel swaps atomically.
/// </summary>
public sealed class PacketFilter
{
    /// <summary>BPF_MAXINSNS.</summary>
    public const int MaxInstructions = 4096;

    /// <summary>What an accepting program returns: keep the whole frame.</summary>
    public const uint AcceptWholeFrame = uint.MaxValue;

    private const int EthernetTypeOffset = 12;
    private const int Ipv4DestinationOffset = 14 + 16;
    private const int Ipv6DestinationOffset = 14 + 24;

    private readonly BpfInstruction[] _instructions;

    public PacketFilter(IEnumerable<BpfInstruction> instructions)
        : this(instructions?.ToArray() ?? throw new ArgumentNullException(nameof(instructions)), [])
    {
    }

    private PacketFilter(BpfInstruction[] instructions, IReadOnlyList<IPAddress> addresses)
    {
        if (instructions.Length is 0 or > MaxInstructions)
            throw new ArgumentException($"a BPF program has 1 to {MaxInstructions} instructions, not {instructions.Length}", nameof(instructions));
        if ((instructions[^1].Code & 0x07) != BpfInstruction.Ret)
            throw new ArgumentException("a BPF program must end with a return instruction", nameof(instructions));
        _instructions = instructions;
        Addresses = addresses;
    }

    public IReadOnlyList<BpfInstruction> Instructions => _instructions;

    /// <summary>The destination addresses a filter from <see cref="ForAddresses"/> lets through (empty for hand-written programs).</summary>
    public IReadOnlyList<IPAddress> Addresses { get; }

    /// <summary>Lets nothing through (a device that must stay quiet for a while).</summary>
    public static PacketFilter DropAll { get; } = new([BpfInstruction.Return(0)], []);

    /// <summary>
    /// The engine's filter: ARP (all of it: requests for our addresses and replies to ours alike), IPv4 and IPv6 frames
    /// whose destination is one of <paramref name="addresses"/>, and, for neighbour discovery, IPv6 frames to ff02::1 and
    /// to the solicited-node group (ff02::1:ffXX:XXXX) of each IPv6 address given. Everything else is dropped in the
    /// kernel, and so are frames whose VLAN tag the NIC stripped into metadata (this socket serves the untagged link;
    /// in-band 802.1Q frames fail the EtherType test anyway).
    /// </summary>
    public static PacketFilter ForAddresses(IEnumerable<IPAddress> addresses, bool acceptArp = true, bool acceptNeighborDiscoveryMulticast = true,
        bool dropVlanTagged = true)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var v4 = new List<uint>();
        var v6 = new List<byte[]>();
        var all = new List<IPAddress>();
        foreach (var given in addresses)
        {
            ArgumentNullException.ThrowIfNull(given, nameof(addresses));
            var address = given.IsIPv4MappedToIPv6 ? given.MapToIPv4() : given;
            var bytes = address.GetAddressBytes();
            switch (address.AddressFamily)
            {
                case AddressFamily.InterNetwork:
                    var word = BinaryPrimitives.ReadUInt32BigEndian(bytes);
                    if (v4.Contains(word)) continue;
                    v4.Add(word);
                    break;
                case AddressFamily.InterNetworkV6:
                    if (v6.Any(b => b.AsSpan().SequenceEqual(bytes))) continue;
                    v6.Add(bytes);
                    break;
                default:
                    throw new ArgumentException($"{address} is neither IPv4 nor IPv6", nameof(addresses));
            }
            all.Add(address);
        }

        var v6Patterns = new List<byte[]>(v6);
        var solicitedGroups = new List<uint>();
        if (acceptNeighborDiscoveryMulticast && v6.Count > 0)
        {
            v6Patterns.Add(IPAddress.Parse("ff02::1").GetAddressBytes());
            foreach (var a in v6)
            {
                var group = BinaryPrimitives.ReadUInt32BigEndian(SolicitedNodeAddress(a).AsSpan(12));
                if (!solicitedGroups.Contains(group)) solicitedGroups.Add(group);
            }
        }

        var p = new List<BpfInstruction>();
        if (dropVlanTagged)
        {
            p.Add(BpfInstruction.LoadWord(BpfInstruction.AncillaryVlanTagPresent));
            p.Add(BpfInstruction.JumpIfEqual(0, 1, 0));
            p.Add(BpfInstruction.Return(0));
        }
        p.Add(BpfInstruction.LoadHalf(EthernetTypeOffset));
        if (acceptArp)
        {
            p.Add(BpfInstruction.JumpIfEqual(0x0806, 0, 1));
            p.Add(BpfInstruction.Return(AcceptWholeFrame));
        }
        // Dispatch with an unconditional jump (32-bit offset) so no conditional jump has to cross a whole section.
        var jumpToV4 = -1;
        var jumpToV6 = -1;
        if (v4.Count > 0)
        {
            p.Add(BpfInstruction.JumpIfEqual(0x0800, 0, 1));
            jumpToV4 = p.Count;
            p.Add(default);
        }
        if (v6Patterns.Count > 0 || solicitedGroups.Count > 0)
        {
            p.Add(BpfInstruction.JumpIfEqual(0x86DD, 0, 1));
            jumpToV6 = p.Count;
            p.Add(default);
        }
        p.Add(BpfInstruction.Return(0));

        if (jumpToV4 >= 0)
        {
            p[jumpToV4] = BpfInstruction.JumpAlways((uint)(p.Count - jumpToV4 - 1));
            p.Add(BpfInstruction.LoadWord(Ipv4DestinationOffset));
            foreach (var a in v4)
            {
                p.Add(BpfInstruction.JumpIfEqual(a, 0, 1));
                p.Add(BpfInstruction.Return(AcceptWholeFrame));
            }
            p.Add(BpfInstruction.Return(0));
        }
        if (jumpToV6 >= 0)
        {
            p[jumpToV6] = BpfInstruction.JumpAlways((uint)(p.Count - jumpToV6 - 1));
            foreach (var pattern in v6Patterns)
            {
                // Four word compares; a mismatch skips to the next pattern's first instruction (9 instructions on).
                for (var w = 0; w < 4; w++)
                {
                    p.Add(BpfInstruction.LoadWord((uint)(Ipv6DestinationOffset + 4 * w)));
                    p.Add(BpfInstruction.JumpIfEqual(BinaryPrimitives.ReadUInt32BigEndian(pattern.AsSpan(4 * w)), 0, (byte)(7 - 2 * w)));
                }
                p.Add(BpfInstruction.Return(AcceptWholeFrame));
            }
            if (solicitedGroups.Count > 0)
            {
                // Solicited-node groups share their first 104 bits: test the first three words once (a mismatch is a drop,
                // nothing follows), then one compare per group on the last word.
                uint[] prefix = [0xff020000, 0, 1];
                for (var w = 0; w < 3; w++)
                {
                    p.Add(BpfInstruction.LoadWord((uint)(Ipv6DestinationOffset + 4 * w)));
                    p.Add(BpfInstruction.JumpIfEqual(prefix[w], 1, 0));
                    p.Add(BpfInstruction.Return(0));
                }
                p.Add(BpfInstruction.LoadWord(Ipv6DestinationOffset + 12));
                foreach (var group in solicitedGroups)
                {
                    p.Add(BpfInstruction.JumpIfEqual(group, 0, 1));
                    p.Add(BpfInstruction.Return(AcceptWholeFrame));
                }
            }
            p.Add(BpfInstruction.Return(0));
        }
        if (p.Count > MaxInstructions)
            throw new ArgumentException($"{all.Count} addresses need {p.Count} BPF instructions, more than the kernel's {MaxInstructions}", nameof(addresses));
        return new PacketFilter(p.ToArray(), all);
    }

    /// <summary>ff02::1:ffXX:XXXX for an IPv6 address (RFC 4291 2.7.1).</summary>
    public static byte[] SolicitedNodeAddress(ReadOnlySpan<byte> ipv6)
    {
        if (ipv6.Length != 16) throw new ArgumentException("an IPv6 address has 16 bytes", nameof(ipv6));
        var b = new byte[16];
        b[0] = 0xff;
        b[1] = 0x02;
        b[11] = 0x01;
        b[12] = 0xff;
        ipv6[13..].CopyTo(b.AsSpan(13));
        return b;
    }

    /// <summary>The Ethernet multicast address an IPv6 multicast group maps to (33:33 + its last 4 bytes, RFC 2464 7).</summary>
    public static byte[] Ipv6MulticastMac(ReadOnlySpan<byte> ipv6Group)
    {
        if (ipv6Group.Length != 16) throw new ArgumentException("an IPv6 address has 16 bytes", nameof(ipv6Group));
        return [0x33, 0x33, ipv6Group[12], ipv6Group[13], ipv6Group[14], ipv6Group[15]];
    }

    /// <summary>The program in <c>tcpdump -dd</c> form, one instruction a line.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var i in _instructions) sb.Append(i).Append('\n');
        return sb.ToString();
    }

    internal LibC.SockFilter[] ToNative()
    {
        var native = new LibC.SockFilter[_instructions.Length];
        for (var i = 0; i < native.Length; i++)
            native[i] = new LibC.SockFilter { Code = _instructions[i].Code, Jt = _instructions[i].JumpTrue, Jf = _instructions[i].JumpFalse, K = _instructions[i].K };
        return native;
    }
}
