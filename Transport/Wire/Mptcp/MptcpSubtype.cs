namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>MPTCP option subtypes (RFC 8684 7.2).</summary>
public enum MptcpSubtype : byte
{
    MpCapable = 0x0,
    MpJoin = 0x1,
    Dss = 0x2,
    AddAddr = 0x3,
    RemoveAddr = 0x4,
    MpPrio = 0x5,
    MpFail = 0x6,
    MpFastClose = 0x7,
    MpTcpRst = 0x8,
    MpExperimental = 0xF,
}
