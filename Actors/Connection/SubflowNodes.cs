using Akka.Actor;

namespace MptcpActors.Actors.Connection;

// A connection whose subflows live on other cluster nodes (joins that arrived there) must not wait for RTOs when such
// a node is gone: the node's membership watcher tells it at once.

/// <summary>From a connection to its node's watcher: it has a subflow on <paramref name="Node"/>; tell it when that node leaves or fails.</summary>
public sealed record WatchSubflowNode(Address Node);

/// <summary>To a connection: <paramref name="Node"/> left the cluster or is unreachable; its subflows there are gone.</summary>
public sealed record SubflowNodeLost(Address Node);
