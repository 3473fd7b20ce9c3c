using System.Diagnostics;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>A kernel TCP (or MPTCP) peer in a namespace, as a small Python program: it moves N bytes of a seeded stream and reports their SHA-256.</summary>
public static class KernelPeer
{
    private const string Script = """
import hashlib, socket, sys, random
role, host, port, nbytes, proto, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
def data():
    r = random.Random(seed); left = nbytes
    while left > 0:
        n = min(left, 65536); left -= n
        yield r.randbytes(n)
def serve_or_connect():
    if role.startswith('server'):
        ls = socket.socket(fam, socket.SOCK_STREAM, proto); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host, port)); ls.listen(1); print('listening', flush=True); s, _ = ls.accept(); return s
    import time
    for attempt in range(300):
        s = socket.socket(fam, socket.SOCK_STREAM, proto); s.settimeout(10)
        try:
            s.connect((host, port)); return s
        except (ConnectionRefusedError, socket.timeout, OSError):
            s.close(); time.sleep(0.1)
    raise SystemExit('could not connect')
s = serve_or_connect(); s.settimeout(120)
if role.endswith('send'):
    sent = hashlib.sha256()
    for chunk in data(): sent.update(chunk); s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536): pass
    print(sent.hexdigest(), nbytes, flush=True)
else:
    got = hashlib.sha256(); total = 0
    while True:
        b = s.recv(1 << 20)
        if not b: break
        got.update(b); total += len(b)
    s.close()
    print(got.hexdigest(), total, flush=True)
""";

    public static Process Start(string ns, string role, string host, int port, long bytes, int seed, bool mptcp = false)
    {
        var path = Path.Combine(Path.GetTempPath(), "mptcp-kernel-peer.py");
        File.WriteAllText(path, Script);
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns, "python3", path, role, host, port.ToString(), bytes.ToString(), mptcp ? "262" : "6", seed.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(psi)!;
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
