namespace MptcpActors.Transport.Wire.Tcp;

/// <summary>TCP option kinds (IANA registry).</summary>
public enum TcpOptionKind : byte
{
    EndOfList = 0,
    NoOperation = 1,
    MaximumSegmentSize = 2,
    WindowScale = 3,
    SackPermitted = 4,
    Sack = 5,
    Timestamps = 8,
    Md5Signature = 19,
    UserTimeout = 28,
    TcpAuthentication = 29,
    Mptcp = 30,
    FastOpen = 34,
    Experimental1 = 253,
    Experimental2 = 254,
}
