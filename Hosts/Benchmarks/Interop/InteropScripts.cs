namespace MptcpActors.Benchmarks.Interop;

/// <summary>
/// The two small Python programs the interop benchmark runs: a kernel TCP/MPTCP peer that moves zeros and times the
/// transfer itself, and a launcher that runs the engine, feeds its stdin and samples its CPU time.
/// Times are <c>time.monotonic()</c> (CLOCK_MONOTONIC, the same clock in every namespace), so the launcher's CPU
/// samples can be cut to the window the peer measured.
/// </summary>
internal static class InteropScripts
{
    /// <summary>
    /// <c>peer.py ROLE HOST PORT PROTO BYTES SECONDS</c>, PROTO 6 (TCP) or 262 (MPTCP).
    /// <list type="bullet">
    /// <item><c>server-recv</c>: listens on HOST:PORT, prints <c>listening</c>, takes one connection and reads until EOF;
    /// the window is first byte → EOF.</item>
    /// <item><c>client-send</c>: connects to HOST:PORT (retrying while the other end starts: refused or silent), sends
    /// zeros until BYTES or SECONDS, half-closes and waits until the peer acknowledged everything (SIOCOUTQ is 0);
    /// the window is connected → all acknowledged.</item>
    /// </list>
    /// Ends with one JSON line: bytes, t0 and t1 (the window), cpu (this process's user+system seconds in the window).
    /// </summary>
    public const string Peer = """
import json, os, socket, sys, time, fcntl, termios, struct, resource
role, host, port, proto, nbytes, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime
def done(total, t0, t1, c0):
    print(json.dumps({'bytes': total, 't0': t0, 't1': t1, 'cpu': cpu() - c0}), flush=True)
if role == 'server-recv':
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port)); ls.listen(1)
    print('listening', flush=True)
    s, _ = ls.accept(); ls.close(); s.settimeout(60)
    buf = bytearray(1 << 20); view = memoryview(buf)
    n = s.recv_into(view); t0 = time.monotonic(); c0 = cpu(); total = n; t1 = t0
    while n:
        n = s.recv_into(view); total += n
    t1 = time.monotonic()
    s.close()
    done(total, t0, t1, c0)
elif role == 'client-send':
    deadline = time.monotonic() + 60
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto); s.settimeout(0.3)
        try:
            s.connect((host, port)); break
        except (ConnectionRefusedError, socket.timeout, OSError):
            s.close()
            if time.monotonic() > deadline: raise SystemExit('could not connect to %s:%d' % (host, port))
            time.sleep(0.02)
    s.settimeout(60)
    t0 = time.monotonic(); c0 = cpu(); total = 0
    chunk = memoryview(bytes(1 << 20))
    while total < nbytes and time.monotonic() - t0 < seconds:
        n = min(len(chunk), nbytes - total)
        s.sendall(chunk[:n]); total += n
    s.shutdown(socket.SHUT_WR)
    while True:
        try:
            left = struct.unpack('i', fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b'\0\0\0\0'))[0]
        except OSError:
            left = 0
        if left <= 0 or time.monotonic() - t0 > seconds + 60: break
        time.sleep(0.0005)
    t1 = time.monotonic()
    c = cpu() - c0
    s.close()
    print(json.dumps({'bytes': total, 't0': t0, 't1': t1, 'cpu': c, 'unacked': left}), flush=True)
else:
    raise SystemExit('unknown role ' + role)
""";

    /// <summary>
    /// <c>launch.py BYTES SECONDS CMD...</c>: runs CMD with stdout on /dev/null and stdin fed with BYTES zeros (stopping
    /// SECONDS after the engine began taking them) then closed, or /dev/null when BYTES is 0. Samples the child's
    /// utime+stime from /proc every 10 ms; prints one JSON line at the end: exit status, rusage of the child (wait4, whole
    /// life), bytes fed, clock ticks per second, samples [[monotonic, ticks], ...].
    /// </summary>
    public const string Launcher = """
import json, os, signal, subprocess, sys, threading, time
nbytes, seconds, cmd = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE if nbytes > 0 else subprocess.DEVNULL, stdout=subprocess.DEVNULL)
fed = [0]
def feed():
    try:
        try:
            import fcntl; fcntl.fcntl(p.stdin.fileno(), 1031, 1 << 20)   # F_SETPIPE_SZ: fewer wake-ups
        except OSError:
            pass
        chunk = memoryview(bytes(1 << 20)); t0 = None; fd = p.stdin.fileno()
        while fed[0] < nbytes:
            fed[0] += os.write(fd, chunk[:min(len(chunk), nbytes - fed[0])])
            if t0 is None and fed[0] > (3 << 20): t0 = time.monotonic()   # past the pipe: the engine is reading
            if t0 is not None and time.monotonic() - t0 >= seconds: break
    except (BrokenPipeError, OSError):
        pass
    try: p.stdin.close()
    except OSError: pass
if nbytes > 0:
    threading.Thread(target=feed, daemon=True).start()
samples = []
while True:
    try:
        with open('/proc/%d/stat' % p.pid) as f: parts = f.read().rsplit(')', 1)[1].split()
        samples.append([time.monotonic(), int(parts[11]) + int(parts[12])])
    except (OSError, IndexError, ValueError):
        pass
    pid, status, ru = os.wait4(p.pid, os.WNOHANG)
    if pid == p.pid: break
    time.sleep(0.01)
code = os.waitstatus_to_exitcode(status)
print(json.dumps({'exit': code, 'utime': ru.ru_utime, 'stime': ru.ru_stime, 'fed': fed[0],
                  'hz': os.sysconf('SC_CLK_TCK'), 'samples': samples}), flush=True)
""";
}
