#!/usr/bin/env bash
# The engine against the Linux kernel's MPTCP between two network namespaces, both ways, over two paths (root).
#   sudo Hosts/Examples/netns/kernel-peer.sh [MPTCP]     MPTCP: the mptcp program (default: mptcp on PATH)
# Namespaces and processes are removed at the end, on error and on Ctrl-C.
set -euo pipefail
MPTCP=${1:-mptcp}
K=mptcpex-kernel-$$ E=mptcpex-engine-$$
cleanup() {
    jobs -p | xargs -r kill 2>/dev/null || true
    ip netns del "$K" 2>/dev/null || true
    ip netns del "$E" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$K"; ip netns add "$E"
for i in 0 1; do
    ip link add "k$i" netns "$K" type veth peer name "e$i" netns "$E"
    ip -n "$K" addr add "10.5$i.0.1/24" dev "k$i"; ip -n "$K" link set "k$i" up
    ip -n "$E" link set "e$i" up        # no address in the engine's namespace: the engine owns 10.5$i.0.2 itself
    # 200 Mbit/s a path each way: transfers last long enough for the second subflows to join and carry data.
    ip netns exec "$K" tc qdisc add dev "k$i" root tbf rate 200mbit burst 64kb latency 20ms
    ip netns exec "$E" tc qdisc add dev "e$i" root tbf rate 200mbit burst 64kb latency 20ms
done
ip -n "$K" link set lo up
ip -n "$K" mptcp limits set subflows 2 add_addr_accepted 2
ENGINE_IFACES=(--iface e0=10.50.0.2/24 --iface e1=10.51.0.2/24,gw=10.51.0.1)

echo "== 1. the engine connects to a kernel MPTCP server and uploads 16 MiB, joining from its second path"
# The server: python with IPPROTO_MPTCP; it answers with the SHA-256 of what it received.
ip netns exec "$K" python3 -c '
import hashlib, socket
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(("10.50.0.1", 8000)); l.listen()
c, _ = l.accept(); h = hashlib.sha256()
while b := c.recv(1 << 16): h.update(b)
c.sendall((h.hexdigest() + "\n").encode()); c.close()' &
until ip netns exec "$K" ss -Hltn 'sport = :8000' | grep -q .; do sleep 0.2; done
DATA=$(mktemp); STATS=$(mktemp); head -c 16M /dev/urandom > "$DATA"
answer=$(ip netns exec "$E" "$MPTCP" connect "${ENGINE_IFACES[@]}" --endpoint 10.51.0.2,subflow --stats "$STATS" 10.50.0.1 8000 < "$DATA")
if [ "$answer" = "$(sha256sum < "$DATA" | cut -d' ' -f1)" ]; then echo "the kernel received 16 MiB, SHA-256 equal"
else echo "the kernel's SHA-256 differs: $answer"; exit 1; fi
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('fallback:', s['connection']['fallback'], '| subflows:', ', '.join(f\"{x['local_address']} -> {x['remote_address']} {x['bytes_sent']} B\" for x in s['subflows']))" "$STATS"
rm -f "$DATA" "$STATS"

echo "== 2. a kernel MPTCP client connects to the engine (listen --echo), joining the address the engine announces"
ip netns exec "$E" "$MPTCP" listen "${ENGINE_IFACES[@]}" --endpoint 10.51.0.2,signal --port 5000 --echo &
listener=$!
# Its control socket (what `mptcp info` reads) is there once its interfaces are up.
until "$MPTCP" info --pid "$listener" >/dev/null 2>&1; do sleep 0.2; done
ip netns exec "$K" python3 - <<'PY'
import hashlib, os, socket, threading, time
data = os.urandom(16 << 20)
for attempt in range(100):   # until the engine's listener is bound (a refusal comes at once: its interfaces are up)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
        s.connect(("10.50.0.2", 5000)); break
    except ConnectionRefusedError:
        s.close(); time.sleep(0.2)
def send():
    s.sendall(data); s.shutdown(socket.SHUT_WR)
threading.Thread(target=send).start()
back = bytearray()
while chunk := s.recv(1 << 16): back += chunk
same = hashlib.sha256(back).digest() == hashlib.sha256(data).digest()
if not s.getsockopt(socket.SOL_TCP, 43):   # TCP_IS_MPTCP: 0 once the connection fell back to TCP
    raise SystemExit(f"echoed {len(back)} bytes, SHA-256 {'equal' if same else 'DIFFERENT'} | kernel: MPTCP no (fell back)")
# struct mptcp_info (SOL_MPTCP 284, MPTCP_INFO 1) starts with: subflows, add_addr_signal, add_addr_accepted (u8 each).
info = s.getsockopt(284, 1, 64)
print("echoed", len(back), "bytes, SHA-256", "equal" if same else "DIFFERENT", "| kernel: MPTCP yes | ADD_ADDRs accepted", info[2],
      "| extra subflows", info[0])
if not same: raise SystemExit(1)
PY
wait "$listener" && echo "listen exited 0"
