using System.Text.Json;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Subflow;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// CLI.md --stats: the connection (tokens, bytes each way as the application moved them, fallback, checksums, data
/// reinjected onto another subflow) and every subflow it had, in the order they ended.
/// </summary>
public static class StatsJson
{
    public static void Write(Utf8JsonWriter w, ConnectionFinished? c, long bytesIn, long bytesOut)
    {
        w.WriteStartObject();
        w.WriteStartObject("connection");
        WriteToken(w, "token", c?.LocalToken);
        WriteToken(w, "local_key_token", c?.LocalToken);
        WriteToken(w, "remote_key_token", c?.RemoteToken);
        w.WriteNumber("bytes_sent", bytesOut);
        w.WriteNumber("bytes_received", bytesIn);
        w.WriteBoolean("fallback", c?.Fallback ?? true);
        w.WriteBoolean("checksum", c?.Checksums ?? false);
        w.WriteNumber("reinjected_bytes", c?.BytesReinjected ?? 0);
        w.WriteEndObject();
        w.WriteStartArray("subflows");
        foreach (var s in c?.Subflows ?? [])
        {
            w.WriteStartObject();
            WriteFourTuple(w, s.Key);
            w.WriteBoolean("backup", s.Backup);
            w.WriteNumber("bytes_sent", s.BytesSent);
            w.WriteNumber("bytes_received", s.BytesReceived);
            w.WriteNumber("retransmitted_bytes", s.BytesRetransmitted);
            w.WriteNumber("srtt_ms", Math.Round(s.SmoothedRttMs, 3));
            w.WriteString("ended", s.Reason.ToString().ToLowerInvariant());
            // RFC 8684 3.7, named after Linux's counters; present only when something happened.
            if (s.ChecksumFailures != default)
            {
                w.WriteNumber("data_csum_err", s.ChecksumFailures.ChecksumErrors);
                w.WriteNumber("mp_fail_tx", s.ChecksumFailures.FailsSent);
                w.WriteNumber("mp_fail_rx", s.ChecksumFailures.FailsReceived);
                w.WriteNumber("infinite_map_tx", s.ChecksumFailures.InfiniteMappingsSent);
                w.WriteNumber("infinite_map_rx", s.ChecksumFailures.InfiniteMappingsReceived);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A plain TCP connection (--plain) reports itself as its one subflow: the connection it stands for.</summary>
    public static ConnectionFinished AsConnection(SubflowFinished s) =>
        new(s.LocalToken, s.RemoteToken, s.Fallback, s.Checksums, s.BytesSent, s.BytesReceived, 0, [s]);

    /// <summary>A subflow's addresses and ports, named as every JSON the command writes names them.</summary>
    public static void WriteFourTuple(Utf8JsonWriter w, TcpFlowKey key)
    {
        w.WriteString("local_address", key.LocalAddress.ToString());
        w.WriteNumber("local_port", key.LocalPort);
        w.WriteString("remote_address", key.RemoteAddress.ToString());
        w.WriteNumber("remote_port", key.RemotePort);
    }

    private static void WriteToken(Utf8JsonWriter w, string name, uint? token)
    {
        if (token is { } t) w.WriteNumber(name, t);
        else w.WriteNull(name);
    }
}
