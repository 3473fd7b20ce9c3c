#!/usr/bin/env bash
# mptcp proxy between two namespaces (root): a kernel MPTCP client in "cli" with two paths, the proxy on raw
# interfaces in "conc" (it owns 10.200.0.2 and 10.201.0.2), a plain TCP web server on conc's loopback.
#   sudo Hosts/Examples/netns/proxy.sh [MPTCP]     MPTCP: the mptcp program (default: mptcp on PATH)
set -euo pipefail
MPTCP=${1:-mptcp}
CLI=mptcpex-cli-$$ CONC=mptcpex-conc-$$
cleanup() {
    jobs -p | xargs -r kill 2>/dev/null || true
    ip netns del "$CLI" 2>/dev/null || true
    ip netns del "$CONC" 2>/dev/null || true
    rm -rf "${WWW:-}"
}
trap cleanup EXIT
ip netns add "$CLI"; ip netns add "$CONC"
for i in 0 1; do
    ip link add "c$i" netns "$CLI" type veth peer name "p$i" netns "$CONC"
    ip -n "$CLI" addr add "10.20$i.0.1/24" dev "c$i"; ip -n "$CLI" link set "c$i" up
    ip -n "$CONC" link set "p$i" up     # no address in conc: the engine owns it
done
ip -n "$CONC" link set lo up
# The client's second path: a source route for its address there, and a subflow endpoint on it.
ip -n "$CLI" rule add from 10.201.0.1 table 101; ip -n "$CLI" route add default via 10.201.0.2 dev c1 table 101
ip -n "$CLI" mptcp limits set subflows 1; ip -n "$CLI" mptcp endpoint add 10.201.0.1 dev c1 subflow

WWW=$(mktemp -d); head -c 32M /dev/urandom > "$WWW/blob"
ip netns exec "$CONC" python3 -m http.server --bind 127.0.0.1 --directory "$WWW" 8080 >/dev/null 2>&1 &   # any plain TCP server
ip netns exec "$CONC" "$MPTCP" proxy --listen 80 --to 127.0.0.1:8080 --iface p0=10.200.0.2/24 --iface p1=10.201.0.2/24 &
proxy=$!
until "$MPTCP" info --pid "$proxy" >/dev/null 2>&1; do sleep 0.2; done

# curl reads slowly (4 MB/s): `mptcp info` sees the connection while it runs.
ip netns exec "$CLI" mptcpize run curl -s --limit-rate 4M -o "$WWW/got" http://10.200.0.2/blob &
curl=$!
sleep 3
"$MPTCP" info --pid "$proxy" | sed -n '1,/^counters:/p'
wait "$curl"
cmp -s "$WWW/blob" "$WWW/got" && echo "curl got 32 MiB through the proxy, identical"
