using Akka.Actor;
using Akka.Cluster.Sharding;
using MptcpActors.Actors.Connection;

namespace MptcpActors.Cluster;

/// <summary>
/// Where a token's entry lives: entity id = the token in hex, shard = token modulo the shard count. Messages reach
/// the region wrapped in a <see cref="TokenEnvelope"/>.
/// </summary>
public sealed class TokenShards(int shards) : IMessageExtractor
{
    public int Count { get; } = shards > 0 ? shards : throw new ArgumentOutOfRangeException(nameof(shards), shards, "at least one shard");

    public string ShardOf(uint token) => (token % (uint)Count).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string? EntityId(object message) => (message as TokenEnvelope)?.Token.ToString("x8");

    public object? EntityMessage(object message) => (message as TokenEnvelope)?.Message;

    public string? ShardId(object message) => message is TokenEnvelope e ? ShardOf(e.Token) : null;

    public string ShardId(string entityId, object? messageHint = null) =>
        uint.TryParse(entityId, System.Globalization.NumberStyles.HexNumber, null, out var token) ? ShardOf(token) : "0";
}

/// <summary>A message for a token's entry (<see cref="ConnectionEntry"/>), to the shard region.</summary>
public sealed record TokenEnvelope(uint Token, object Message);

/// <summary>To a token's entry: this connection (on the sender's node) has the token.</summary>
public sealed record RegisterConnection(IActorRef Connection);

/// <summary>To a token's entry: where is its connection? Answered with <see cref="ConnectionLocation"/>.</summary>
public sealed record LookupConnection
{
    public static readonly LookupConnection Instance = new();
}

/// <summary>A token's connection, or null when no connection has it.</summary>
public sealed record ConnectionLocation(uint Token, IActorRef? Connection);
