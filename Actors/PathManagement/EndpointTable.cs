using System.Net;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.PathManagement;

/// <summary>
/// The node's endpoint set as <c>ip mptcp endpoint</c> edits it (net/mptcp/pm_kernel.c): add with the lowest free id when
/// none is given, delete by id or address, change the backup/fullmesh flags, flush; limits set at most to Linux's 8. Plain
/// data with Linux's validation rules: every refusal is a message saying why, nothing is changed by a refused edit.
/// </summary>
public sealed class EndpointTable(IEnumerable<EndpointSettings> endpoints, PathManagerLimits limits)
{
    private readonly List<EndpointSettings> _endpoints = [.. endpoints];

    public IReadOnlyList<EndpointSettings> Endpoints => _endpoints;
    public PathManagerLimits Limits { get; private set; } = limits;

    /// <summary>Adds <paramref name="endpoint"/> (Id 0: the lowest free id); returns the endpoint as added, or why not.</summary>
    public (EndpointSettings? Added, string? Error) Add(EndpointSettings endpoint)
    {
        if (endpoint.Flags.HasFlag(EndpointFlags.Signal) && endpoint.Flags.HasFlag(EndpointFlags.Fullmesh))
            return (null, "signal and fullmesh cannot be combined");
        if (endpoint.Port is not null && (!endpoint.Flags.HasFlag(EndpointFlags.Signal) || endpoint.Flags.HasFlag(EndpointFlags.Subflow)))
            return (null, "a port needs the signal flag and not subflow");
        if (endpoint.Port is < 1 or > ushort.MaxValue) return (null, $"port {endpoint.Port} is not 1..65535");
        if (endpoint.Id is < 0 or > EndpointSettings.MaxId) return (null, $"id {endpoint.Id} is not {EndpointSettings.MinId}..{EndpointSettings.MaxId}");
        if (_endpoints.FirstOrDefault(e => e.Address.Equals(endpoint.Address) && e.Port == endpoint.Port) is { } same)
            return (null, $"{endpoint.Address}{(endpoint.Port is { } p ? $" port {p}" : "")} is already endpoint id {same.Id}");
        var id = endpoint.Id;
        if (id != 0 && _endpoints.Any(e => e.Id == id)) return (null, $"id {id} is already in use");
        if (id == 0)
        {
            id = EndpointSettings.MinId;
            while (id <= EndpointSettings.MaxId && _endpoints.Any(e => e.Id == id)) id++;
            if (id > EndpointSettings.MaxId) return (null, "no free id left");
        }
        var added = endpoint with { Id = id };
        _endpoints.Add(added);
        return (added, null);
    }

    /// <summary>Removes the endpoint with this id (or, when <paramref name="id"/> is 0, this address); returns it, or why not.</summary>
    public (EndpointSettings? Removed, string? Error) Delete(int id, IPAddress? address)
    {
        var index = _endpoints.FindIndex(e => id != 0 ? e.Id == id : e.Address.Equals(address));
        if (index < 0) return (null, id != 0 ? $"no endpoint with id {id}" : $"no endpoint with address {address}");
        var removed = _endpoints[index];
        _endpoints.RemoveAt(index);
        return (removed, null);
    }

    /// <summary>
    /// Sets the backup and fullmesh flags of an endpoint (by id, or address when <paramref name="id"/> is 0); Linux changes
    /// only these two, and refuses fullmesh on a signal endpoint.
    /// </summary>
    public (EndpointSettings? Changed, string? Error) Change(int id, IPAddress? address, bool backup, bool fullmesh)
    {
        var index = _endpoints.FindIndex(e => id != 0 ? e.Id == id : e.Address.Equals(address));
        if (index < 0) return (null, id != 0 ? $"no endpoint with id {id}" : $"no endpoint with address {address}");
        var e = _endpoints[index];
        if (fullmesh && e.Flags.HasFlag(EndpointFlags.Signal)) return (null, "signal and fullmesh cannot be combined");
        var flags = e.Flags & ~(EndpointFlags.Backup | EndpointFlags.Fullmesh);
        if (backup) flags |= EndpointFlags.Backup;
        if (fullmesh) flags |= EndpointFlags.Fullmesh;
        _endpoints[index] = e with { Flags = flags };
        return (_endpoints[index], null);
    }

    public void Flush() => _endpoints.Clear();

    public string? SetLimits(PathManagerLimits limits)
    {
        if (limits.Subflows is < 0 or > PathManagerLimits.LinuxMaximum || limits.AddAddrAccepted is < 0 or > PathManagerLimits.LinuxMaximum)
            return $"limits must be 0..{PathManagerLimits.LinuxMaximum}, as Linux's";
        Limits = limits;
        return null;
    }
}
