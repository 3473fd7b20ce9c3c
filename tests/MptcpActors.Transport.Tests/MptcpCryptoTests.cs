using MptcpActors.Tests.Shared;
using System.Text;
using MptcpActors.Transport.Crypto;
using System.Buffers.Binary;

namespace MptcpActors.Transport.Tests;

public class MptcpCryptoTests
{
    /// <summary>The Linux kernel's kunit vectors (net/mptcp/crypto_test.c): key1||key2 and nonce1||nonce2 are ASCII.</summary>
    [Theory]
    [InlineData("0b0b0b0b0b0b0b0b", "48692054", "8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa")]
    [InlineData("aaaaaaaaaaaaaaaa", "dddddddd", "2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9")]
    [InlineData("0102030405060708", "cdcdcdcd", "e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d")]
    public void Hmac_matches_the_kernel_kunit_vectors(string key, string message, string expected)
    {
        var k = Encoding.ASCII.GetBytes(key);
        var m = Encoding.ASCII.GetBytes(message);
        var key1 = BinaryPrimitives.ReadUInt64BigEndian(k);
        var key2 = BinaryPrimitives.ReadUInt64BigEndian(k.AsSpan(8));
        var hmac = new byte[32];
        MptcpCrypto.Hmac(key1, key2, m, hmac);
        Assert.Equal(expected, Convert.ToHexStringLower(hmac));
        // The join helper builds the same message from two 32-bit nonces.
        MptcpCrypto.JoinHmac(key1, key2, BinaryPrimitives.ReadUInt32BigEndian(m), BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(4)), hmac);
        Assert.Equal(expected, Convert.ToHexStringLower(hmac));
    }

    [Fact]
    public void Token_and_idsn_split_sha256_of_the_key()
    {
        // Values from tshark's mptcp.expected_token / expected_idsn on basic.pcap's SYN/ACK.
        Assert.Equal(1422053266u, MptcpCrypto.Token(17890979581208739606));
        Assert.Equal(2291877895429236160ul, MptcpCrypto.Idsn(17890979581208739606));
        Assert.Equal((1422053266u, 2291877895429236160ul), MptcpCrypto.TokenAndIdsn(17890979581208739606));
    }

    [Fact]
    public void Dss_checksum_of_a_correct_mapping_verifies_to_zero()
    {
        var payload = Enumerable.Range(0, 1001).Select(i => (byte)i).ToArray();
        var sum = MptcpCrypto.DssChecksum(0x1122334455667788, 1, 1001, 0, payload);
        Assert.Equal(0, MptcpCrypto.DssChecksum(0x1122334455667788, 1, 1001, sum, payload));
        payload[500] ^= 1;
        Assert.NotEqual(0, MptcpCrypto.DssChecksum(0x1122334455667788, 1, 1001, sum, payload));
    }

    [Fact]
    public void Crypto_allocates_nothing()
    {
        MptcpCrypto.TokenAndIdsn(1);
        MptcpCrypto.JoinTruncatedHmac(1, 2, 3, 4);
        Assert.Equal(0, Allocations.Least(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                MptcpCrypto.TokenAndIdsn((ulong)i);
                MptcpCrypto.JoinTruncatedHmac((ulong)i, 2, 3, 4);
                MptcpCrypto.AddAddrHmac((ulong)i, 2, 1, [10, 0, 0, 1], 0);
            }
        }));
    }
}
