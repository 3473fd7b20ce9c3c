using Akka.Actor;
using Akka.Cluster;
using MptcpActors.Actors.Connection;

namespace MptcpActors.Cluster;

/// <summary>A connection seen from anywhere in the cluster: the node that owns it (akka.tcp://...) and its state.</summary>
public sealed record NodeConnection(string Node, ConnectionInfo Info);

/// <summary>
/// The connections of the whole service (<c>mptcp info</c> on a cluster node): every Up member's MptcpManager (at
/// the same path as this node's) lists its connections, each asked for its <see cref="ConnectionInfo"/>, whose
/// subflows name the node carrying them when that is another one. A node or connection that does not answer in time
/// is left out (it is leaving, or the connection ended while asked).
/// </summary>
public static class ClusterConnections
{
    /// <summary>
    /// Connections per <see cref="ConnectionList"/> from a node: about 100 bytes each, well under the frame limit. Pages
    /// of a list changing meanwhile may miss or repeat a connection: the listing is a snapshot, like <c>ss</c>'s.
    /// </summary>
    public const int PageSize = 1000;

    public static async Task<IReadOnlyList<NodeConnection>> ListAsync(ActorSystem system, IActorRef manager, TimeSpan timeout)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var nodes = cluster.State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address).ToList();
        if (!nodes.Contains(cluster.SelfAddress)) nodes.Add(cluster.SelfAddress);
        var lists = await Task.WhenAll(nodes.Select(async node =>
        {
            var path = new RootActorPath(node) / manager.Path.Elements;
            try
            {
                var connections = new List<IActorRef>();
                ConnectionList page;
                do
                {
                    page = await system.ActorSelection(path).Ask<ConnectionList>(new ListConnections(connections.Count, PageSize), timeout);
                    connections.AddRange(page.Connections);
                } while (page.Connections.Count > 0 && connections.Count < page.Total);
                var infos = await Task.WhenAll(connections.Distinct().Select(c => Ask(c, timeout)));
                return infos.OfType<ConnectionInfo>().Select(i => new NodeConnection(node.ToString(), i)).ToList();
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                return [];
            }
        }));
        return lists.SelectMany(l => l).OrderBy(c => c.Node, StringComparer.Ordinal).ThenBy(c => c.Info.LocalToken).ToList();
    }

    private static async Task<ConnectionInfo?> Ask(IActorRef connection, TimeSpan timeout)
    {
        try { return await connection.Ask<ConnectionInfo>(GetConnectionInfo.Instance, timeout); }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException) { return null; }
    }
}
