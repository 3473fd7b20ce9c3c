namespace MptcpActors.Benchmarks.Interop;

/// <summary>
/// The Python program of the multipath benchmarks (<c>aggregate</c>, <c>failover</c>): kernel MPTCP peers and a launcher
/// for the engine as receiver, all timing with <c>time.monotonic()</c> (CLOCK_MONOTONIC, shared by every namespace and
/// by the benchmark's own Stopwatch, so a fault's instant can be set against the receiver's reads).
/// </summary>
internal static class MultipathScripts
{
    /// <summary>
    /// <c>mp.py ROLE ...</c>. A receiver reads in chunks of at most 64 KiB and times every read that returned data: t0
    /// (first), t1 (last), bytes, <c>longest</c>, the longest silence between two reads with data, as [seconds, start]
    /// (start on the same clock), and <c>gaps</c>, every silence of 20 ms or more (at most the 200 longest), longest first,
    /// so that the silence a fault caused can be told from others. Each role ends with one JSON line.
    /// <list type="bullet">
    /// <item><c>recv HOST PORT</c>: kernel MPTCP server on HOST:PORT; prints <c>listening</c>, takes one connection, reads to
    /// EOF. The listening socket stays open until then: the kernel refuses MP_JOINs of a connection whose listener is
    /// closed.</item>
    /// <item><c>send HOST PORT BYTES</c>: kernel MPTCP client (retries while the other end starts), sends BYTES zeros,
    /// half-closes and waits for the peer's close; t0 connected, t1 peer closed.</item>
    /// <item><c>engine-recv BYTES CMD...</c>: runs the engine (CMD) and reads its stdout as a receiver does; its stdin stays
    /// an open pipe until BYTES came out (netcat half-closes at the end of stdin, and Linux opens or accepts joins only
    /// while its side of the connection is established), then is closed so the engine ends. Adds exit.</item>
    /// </list>
    /// </summary>
    public const string Program = """
import json, os, socket, subprocess, sys, time
role = sys.argv[1]
CHUNK = 1 << 16

class Reads:
    def __init__(self):
        self.bytes = 0; self.t0 = None; self.t1 = None; self.longest = [0.0, 0.0]; self.gaps = []
    def add(self, n):
        now = time.monotonic()
        if self.t0 is None:
            self.t0 = now
        else:
            gap = now - self.t1
            if gap > self.longest[0]: self.longest = [gap, self.t1]
            if gap >= 0.02: self.gaps.append([gap, self.t1])
        self.t1 = now; self.bytes += n
    def report(self, **extra):
        self.gaps.sort(reverse=True)
        d = {'bytes': self.bytes, 't0': self.t0, 't1': self.t1, 'longest': self.longest, 'gaps': self.gaps[:200]}
        d.update(extra); print(json.dumps(d), flush=True)

if role == 'recv':
    host, port = sys.argv[2], int(sys.argv[3])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port)); ls.listen(4)
    print('listening', flush=True)
    s, _ = ls.accept(); s.settimeout(120)
    r = Reads(); buf = bytearray(CHUNK)
    while True:
        n = s.recv_into(buf)
        if not n: break
        r.add(n)
    s.close(); ls.close()
    r.report()
elif role == 'send':
    host, port, nbytes = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    deadline = time.monotonic() + 60
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); s.settimeout(0.3)
        try:
            s.connect((host, port)); break
        except OSError:
            s.close()
            if time.monotonic() > deadline: raise SystemExit('could not connect to %s:%d' % (host, port))
            time.sleep(0.02)
    s.settimeout(120)
    t0 = time.monotonic(); total = 0; chunk = memoryview(bytes(1 << 20))
    while total < nbytes:
        n = min(len(chunk), nbytes - total); s.sendall(chunk[:n]); total += n
    s.shutdown(socket.SHUT_WR)
    while s.recv(CHUNK): pass
    t1 = time.monotonic(); s.close()
    print(json.dumps({'bytes': total, 't0': t0, 't1': t1}), flush=True)
elif role == 'engine-recv':
    nbytes, cmd = int(sys.argv[2]), sys.argv[3:]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    r = Reads(); fd = p.stdout.fileno()
    while True:
        b = os.read(fd, CHUNK)
        if not b: break
        r.add(len(b))
        if r.bytes >= nbytes and p.stdin is not None:
            p.stdin.close(); p.stdin = None
    if p.stdin is not None: p.stdin.close()
    r.report(exit=p.wait())
else:
    raise SystemExit('unknown role ' + role)
""";
}
