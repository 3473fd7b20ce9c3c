using System.Buffers.Binary;
using MptcpActors.Transport.Devices.Linux;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>
/// A classic BPF interpreter with the kernel's semantics for socket filters (loads past the end abort with 0; the
/// ancillary VLAN word reads <see cref="VlanTagPresent"/>), to check generated programs without a kernel.
/// </summary>
internal static class BpfInterpreter
{
    public static uint Run(IReadOnlyList<BpfInstruction> program, ReadOnlySpan<byte> packet, bool vlanTagPresent = false)
    {
        uint a = 0, x = 0;
        var mem = new uint[16];
        for (var pc = 0; pc < program.Count; pc++)
        {
            var i = program[pc];
            var cls = i.Code & 0x07;
            switch (cls)
            {
                case BpfInstruction.Ld:
                case BpfInstruction.Ldx:
                {
                    var mode = i.Code & 0xe0;
                    var size = i.Code & 0x18;
                    uint value;
                    if (mode == BpfInstruction.Imm) value = i.K;
                    else if (mode == BpfInstruction.Len) value = (uint)packet.Length;
                    else if (mode == BpfInstruction.Mem) value = mem[i.K];
                    else if (mode == BpfInstruction.Msh)
                    {
                        if (i.K >= packet.Length) return 0;
                        value = (uint)(packet[(int)i.K] & 0x0f) * 4;
                    }
                    else
                    {
                        var offset = mode == BpfInstruction.Ind ? (long)x + i.K : i.K;
                        if (i.K >= BpfInstruction.AncillaryOffset && mode == BpfInstruction.Abs)
                        {
                            if (i.K != BpfInstruction.AncillaryVlanTagPresent) throw new NotSupportedException($"ancillary 0x{i.K:x}");
                            value = vlanTagPresent ? 1u : 0u;
                        }
                        else
                        {
                            var width = size == BpfInstruction.W ? 4 : size == BpfInstruction.H ? 2 : 1;
                            if (offset + width > packet.Length) return 0; // the kernel aborts the program: drop
                            var at = packet[(int)offset..];
                            value = width == 4 ? BinaryPrimitives.ReadUInt32BigEndian(at) : width == 2 ? BinaryPrimitives.ReadUInt16BigEndian(at) : at[0];
                        }
                    }
                    if (cls == BpfInstruction.Ld) a = value;
                    else x = value;
                    break;
                }
                case BpfInstruction.Jmp:
                {
                    var op = i.Code & 0xf0;
                    if (op == BpfInstruction.Ja)
                    {
                        pc += (int)i.K;
                        break;
                    }
                    var operand = (i.Code & BpfInstruction.SrcX) != 0 ? x : i.K;
                    var taken = op switch
                    {
                        BpfInstruction.Jeq => a == operand,
                        BpfInstruction.Jgt => a > operand,
                        BpfInstruction.Jge => a >= operand,
                        BpfInstruction.Jset => (a & operand) != 0,
                        _ => throw new NotSupportedException($"jump 0x{i.Code:x}"),
                    };
                    pc += taken ? i.JumpTrue : i.JumpFalse;
                    break;
                }
                case BpfInstruction.Ret:
                    return (i.Code & BpfInstruction.RetA) != 0 ? a : i.K;
                default:
                    throw new NotSupportedException($"opcode 0x{i.Code:x}");
            }
        }
        throw new InvalidOperationException("the program ran off its end");
    }
}
