namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>Why an MPTCP option was rejected. RFC 8684 3: an option that is not valid is treated as absent.</summary>
public enum MptcpOptionError : byte
{
    None,
    /// <summary>Shorter than kind, length and subtype.</summary>
    Truncated,
    /// <summary>Not a kind-30 option.</summary>
    NotMptcp,
    UnknownSubtype,
    /// <summary>The length is none of those the subtype defines (for DSS: it contradicts the flags).</summary>
    BadLength,
    /// <summary>MP_CAPABLE with a version this codec does not decode past the header.</summary>
    UnsupportedVersion,
}
