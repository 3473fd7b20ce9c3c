using CsCheck;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Transport.Tests;

/// <summary>CsCheck generators for every MPTCP option in every length the RFC gives it.</summary>
public static class MptcpOptionGenerators
{
    private static readonly Gen<byte> Nibble = Gen.Byte[0, 15];

    private static Gen<T?> Optional<T>(Gen<T> gen) where T : struct => Gen.Select(Gen.Bool, gen).Select((has, v) => has ? v : (T?)null);

    public static readonly Gen<MpCapableOption> MpCapable =
        Gen.Select(Gen.Int[0, 6], Gen.Byte, Gen.ULong, Gen.ULong, Gen.UShort, Gen.UShort).Select((variant, flags, k1, k2, dll, sum) => variant switch
        {
            0 => new MpCapableOption(1, flags),
            1 => new MpCapableOption(1, flags, k1),
            2 => new MpCapableOption(1, flags, k1, k2),
            3 => new MpCapableOption(1, flags, k1, k2, dll),
            4 => new MpCapableOption(1, flags, k1, k2, dll, sum),
            5 => new MpCapableOption(0, flags, k1),
            _ => new MpCapableOption(0, flags, k1, k2),
        });

    public static readonly Gen<MpJoinOption> MpJoin =
        Gen.Select(Gen.Int[0, 2], Nibble, Gen.Byte, Gen.UInt, Gen.UInt, Gen.ULong, Gen.Select(Gen.ULong, Gen.ULong, Gen.UInt))
            .Select((stage, flags, id, a, b, h, full) => stage switch
            {
                0 => new MpJoinOption(MpJoinStage.Syn, flags, id, a, b),
                1 => new MpJoinOption(MpJoinStage.SynAck, flags, id, Nonce: b, TruncatedHmac: h),
                _ => new MpJoinOption(MpJoinStage.Ack, flags, Hmac: new Hmac160(full.Item1, full.Item2, full.Item3), Reserved: id),
            });

    public static readonly Gen<DssOption> Dss =
        Gen.Select(Gen.Byte, Nibble, Gen.ULong, Gen.ULong, Gen.UInt, Gen.UShort, Gen.UShort, Gen.Bool).Select((flags, rsv, ack, dsn, ssn, dll, sum, withSum) =>
        {
            var hasAck = (flags & DssOption.FlagDataAckPresent) != 0;
            var hasMap = (flags & DssOption.FlagMappingPresent) != 0;
            return new DssOption(flags,
                hasAck ? ((flags & DssOption.FlagDataAck8) != 0 ? ack : (uint)ack) : 0,
                hasMap ? ((flags & DssOption.FlagDsn8) != 0 ? dsn : (uint)dsn) : 0,
                hasMap ? ssn : 0, hasMap ? dll : (ushort)0, hasMap && withSum ? sum : null, rsv);
        });

    public static readonly Gen<AddAddrOption> AddAddr =
        Gen.Select(Nibble, Gen.Byte, Gen.Bool, Gen.Byte.Array[16], Optional(Gen.UShort), Optional(Gen.ULong))
            .Select((flags, id, v6, addr, port, hmac) => new AddAddrOption(flags, id, new IpAddressBytes(v6 ? addr : addr.AsSpan(0, 4)), port, hmac));

    public static readonly Gen<RemoveAddrOption> RemoveAddr =
        Gen.Select(Gen.Byte.Array[1, RemoveAddrOption.MaxIds], Nibble).Select((ids, flags) => new RemoveAddrOption(ids, flags));

    public static readonly Gen<MpPrioOption> MpPrio = Gen.Select(Nibble, Optional(Gen.Byte)).Select((f, id) => new MpPrioOption(f, id));
    public static readonly Gen<MpFailOption> MpFail = Gen.Select(Gen.ULong, Gen.UShort[0, 0xFFF]).Select((d, r) => new MpFailOption(d, r));
    public static readonly Gen<MpFastCloseOption> MpFastClose = Gen.Select(Gen.ULong, Gen.UShort[0, 0xFFF]).Select((k, r) => new MpFastCloseOption(k, r));
    public static readonly Gen<MpTcpRstOption> MpTcpRst = Gen.Select(Nibble, Gen.Byte).Select((f, r) => new MpTcpRstOption(f, (MpTcpRstReason)r));
}
