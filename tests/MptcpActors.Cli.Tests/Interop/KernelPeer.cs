using System.Diagnostics;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>A kernel TCP (or MPTCP) peer in a namespace, as a small Python program: it moves N bytes of a seeded stream and reports their SHA-256.</summary>
public static class KernelPeer
{
    private const string Script = """
import hashlib, socket, sys, random
role, host, port, nbytes, proto, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
bind_any = len(sys.argv) > 7 and sys.argv[7] == 'any'
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
# A server's listening socket lives as long as its connection: the kernel answers an MP_JOIN SYN for a connection whose
# listener is closed with RST (the join's request socket hangs off the listener).
ls = None
def data():
    r = random.Random(seed); left = nbytes
    while left > 0:
        n = min(left, 65536); left -= n
        yield r.randbytes(n)
def serve_or_connect():
    global ls
    if role.startswith('server'):
        ls = socket.socket(fam, socket.SOCK_STREAM, proto); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((('::' if fam == socket.AF_INET6 else '0.0.0.0') if bind_any else host, port)); ls.listen(1)
        print('listening', flush=True); s, _ = ls.accept(); return s
    import time
    for attempt in range(300):
        s = socket.socket(fam, socket.SOCK_STREAM, proto); s.settimeout(10)
        try:
            s.connect((host, port)); return s
        except (ConnectionRefusedError, socket.timeout, OSError):
            s.close(); time.sleep(0.1)
    raise SystemExit('could not connect')
s = serve_or_connect(); s.settimeout(120)
def done():
    s.close()
    if ls is not None: ls.close()
if role == 'echo-client' or role.endswith('both'):
    # Sends the seeded stream while receiving. echo-client: what comes back must be exactly what was sent (exit 3 if not);
    # *-both: what comes back is the other side's own stream, reported as 'SENT_SHA SENT_BYTES GOT_SHA GOT_BYTES SECONDS'.
    import threading
    sent = hashlib.sha256(); failure = []
    def pump():
        try:
            for chunk in data(): sent.update(chunk); s.sendall(chunk)
            s.shutdown(socket.SHUT_WR)
        except Exception as e:
            failure.append(repr(e))
    import time
    t = threading.Thread(target=pump, daemon=True); t.start()
    got = hashlib.sha256(); total = 0; started = time.monotonic()
    while True:
        b = s.recv(1 << 20)
        if not b: break
        got.update(b); total += len(b)
    received_in = time.monotonic() - started
    t.join(120); done()
    if failure: raise SystemExit('send failed: ' + failure[0])
    if role == 'echo-client':
        ok = total == nbytes and got.hexdigest() == sent.hexdigest()
        print(got.hexdigest(), total, 'ok' if ok else 'MISMATCH', flush=True)
        sys.exit(0 if ok else 3)
    print(sent.hexdigest(), nbytes, got.hexdigest(), total, '%.3f' % received_in, flush=True)
elif role.endswith('send'):
    if role == 'server-request-send': s.recv(65536)   # an HTTP-like server: the client's request first
    sent = hashlib.sha256()
    for chunk in data(): sent.update(chunk); s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536): pass
    done()
    print(sent.hexdigest(), nbytes, flush=True)
else:
    got = hashlib.sha256(); total = 0
    while True:
        b = s.recv(1 << 20)
        if not b: break
        got.update(b); total += len(b)
    done()
    print(got.hexdigest(), total, flush=True)
""";

    /// <summary>
    /// Starts the peer in <paramref name="ns"/>. Roles: client-send / client-recv / server-send / server-recv (one direction;
    /// prints 'SHA BYTES'); server-request-send (server-send once the client's first bytes, its request, arrived); client-both / server-both (sends its seeded stream while receiving; prints
    /// 'SENT_SHA SENT_BYTES GOT_SHA GOT_BYTES RECEIVE_SECONDS', the last from the connection to the other side's end of
    /// data); echo-client (sends its stream and checks the same bytes come back; prints 'SHA BYTES ok' and exits 0, or
    /// 'SHA BYTES MISMATCH' and exits 3). Servers print 'listening' first, and keep listening until their connection ends
    /// (the kernel accepts MP_JOINs only while the listener lives); with <paramref name="bindAny"/> a server listens on
    /// every address of its namespace (<paramref name="host"/> then only gives the family), so it takes joins to the
    /// addresses its endpoints announce.
    /// </summary>
    public static Process Start(string ns, string role, string host, int port, long bytes, int seed, bool mptcp = false, bool bindAny = false)
    {
        var path = PeerScript.Value;
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns, "python3", path, role, host, port.ToString(), bytes.ToString(), mptcp ? "262" : "6", seed.ToString(),
            bindAny ? "any" : "one"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(psi)!;
    }

    private const string PingScript = """
import os, socket, struct, sys, time
host, count, warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
v6 = ':' in host
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) if v6 else socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
def csum(b):
    if len(b) % 2: b += b'\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
def echo(seq, wait):
    payload = os.urandom(56)
    pkt = struct.pack('!BBHHH', 128 if v6 else 8, 0, 0, ident, seq) + payload
    if not v6: pkt = pkt[:2] + struct.pack('!H', csum(pkt)) + pkt[4:]   # the kernel fills in the ICMPv6 checksum itself
    try: s.sendto(pkt, (host, 0))
    except OSError: time.sleep(wait); return False   # neighbour not (yet) resolved
    deadline = time.time() + wait
    while True:
        left = deadline - time.time()
        if left <= 0: return False
        s.settimeout(left)
        try: msg, addr = s.recvfrom(4096)
        except socket.timeout: return False
        if not v6:
            msg = msg[(msg[0] & 0x0f) * 4:]
            if csum(msg) != 0: continue   # raw IPv4 sockets see ICMP before it is checked; raw ICMPv6 sockets after
        if addr[0] == host and len(msg) >= 8 and msg[0] == (129 if v6 else 0) and struct.unpack('!HH', msg[4:8]) == (ident, seq) and msg[8:] == payload:
            return True
# Warm-up: until the first reply (the engine may still be starting), at most `warmup` seconds.
seq = 0; end = time.time() + warmup
while True:
    seq += 1
    if echo(seq, 0.5): break
    if time.time() > end: print(count, 0, flush=True); sys.exit(0)
replies = 0
for i in range(count):
    seq += 1
    if echo(seq, 2): replies += 1
    time.sleep(0.05)
print(count, replies, flush=True)
""";

    /// <summary>
    /// Sends ICMP (ICMPv6) echo requests from <paramref name="ns"/>'s kernel to <paramref name="host"/> through a raw socket
    /// (as ping does as root: the kernel resolves the neighbour and routes): first until one is answered (at most
    /// <paramref name="warmupSeconds"/>, while the engine starts), then <paramref name="count"/> more, waiting up to 2 s for
    /// each; returns how many of those got a matching, checksum-valid reply (0 if the warm-up got none).
    /// </summary>
    public static int Ping(string ns, string host, int count, int warmupSeconds = 20)
    {
        var path = PingScriptFile.Value;
        var output = VethPair.Sh($"ip netns exec {ns} python3 {path} {host} {count} {warmupSeconds}", (count * 3 + warmupSeconds + 10) * 1000).Trim().Split(' ');
        Assert.Equal(count.ToString(), output[0]);
        return int.Parse(output[1]);
    }

    // Written once per test process, atomically (write, then rename): peers started in a burst must never read a file
    // another Start is rewriting.
    private static readonly Lazy<string> PeerScript = new(() => WriteOnce("mptcp-kernel-peer.py", Script));
    private static readonly Lazy<string> PingScriptFile = new(() => WriteOnce("mptcp-kernel-ping.py", PingScript));

    private static string WriteOnce(string name, string text)
    {
        var path = Path.Combine(Path.GetTempPath(), name);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>The same seeded stream the peer sends, hashed, without a network.</summary>
    public static (string Sha256, long Bytes) Expected(long bytes, int seed)
    {
        var psi = new ProcessStartInfo("python3", ["-c",
            $"import hashlib,random\nr=random.Random({seed});h=hashlib.sha256();left={bytes}\nwhile left>0:\n n=min(left,65536);left-=n;h.update(r.randbytes(n))\nprint(h.hexdigest())"])
        { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        return (p.StandardOutput.ReadToEnd().Trim(), bytes);
    }
}
