#!/usr/bin/python3
"""jmaster against Postfix's master, side by side (issue 6). Run through src/bench/run.

Every master (jmaster on each JDK found, or on the trees given with --variant, and Postfix's master)
runs the same configuration and the same child (src/bench/c/bchild.c; Postfix's own daemons for the
mail figure), one after the other, rotating which goes first, several repetitions; every figure is
the median over the repetitions and each ratio is that variant / the reference (Postfix's master,
or the first variant without it) from the same run. Everything is loopback; every load loop is
bounded in count and time.
"""
import argparse
import datetime
import json
import os
import platform
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POSTFIX_DAEMONS = "/usr/lib/postfix/sbin"
JVM_DIR = "/usr/lib/jvm"
PORT_ONCE, PORT_REUSE, PORT_HOLD, PORT_SMTP = 17101, 17102, 17103, 17125
IDLE_PORT_OFFSET = 100  # the second instance of the idle figure listens 100 ports higher


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- /proc readings

def task_ids(pid):
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def cpu_ns(pid):
    """CPU time of every thread of pid, in nanoseconds (schedstat's run time)."""
    total = 0
    for t in task_ids(pid):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def switches(pid):
    """{thread name: voluntary + involuntary context switches} over every thread of pid."""
    out = {}
    for t in task_ids(pid):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                name = f.read().strip()
            n = 0
            with open(f"/proc/{pid}/task/{t}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
            out[f"{name}/{t}"] = n
        except OSError:
            pass
    return out


def rss_kib(pid):
    """(VmRSS, RssAnon) in KiB."""
    vals = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon"):
                    vals[k] = int(v.split()[0])
    except OSError:
        pass
    return vals.get("VmRSS", 0), vals.get("RssAnon", 0)


def listening(ports):
    """The subset of ports with a 127.0.0.1 TCP socket in LISTEN state (no connection made)."""
    found = set()
    want = {f"0100007F:{p:04X}": p for p in ports}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if parts[3] == "0A" and parts[1] in want:
                found.add(want[parts[1]])
    return found


def session_pids(sid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read()
                fields = st[st.rindex(")") + 2:].split()
                if int(fields[3]) == sid:
                    out.append(int(d))
            except (OSError, ValueError):
                pass
    return out


# ---------------------------------------------------------------- instances

class Instance:
    """One configuration directory (main.cf, master.cf, queue, data, daemons) either master can run."""

    def __init__(self, root, master_cf, daemon_dir, extra_main=()):
        self.root = root
        self.conf = os.path.join(root, "conf")
        self.queue = os.path.join(root, "queue")
        self.data = os.path.join(root, "data")
        for d in (self.conf, self.queue, os.path.join(self.queue, "pid"), self.data):
            os.makedirs(d, exist_ok=True)
        os.chmod(root, 0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(self.data, pw.pw_uid, pw.pw_gid)
        # Postfix's master opens its data lock as mail_owner; jmaster creates a missing one as root,
        # which Postfix's master then cannot open (see docs/benchmarks.md): create it the Postfix way
        lock = os.path.join(self.data, "master.lock")
        with open(lock, "a"):
            pass
        os.chmod(lock, 0o600)
        os.chown(lock, pw.pw_uid, pw.pw_gid)
        main = [
            "compatibility_level = 3.7",
            f"queue_directory = {self.queue}",
            f"data_directory = {self.data}",
            f"daemon_directory = {daemon_dir}",
            "command_directory = /usr/sbin",
            "meta_directory = /etc/postfix",
            "shlib_directory = /usr/lib/postfix",
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "myhostname = bench.test",
            "mydomain = bench.test",
            "myorigin = bench.test",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            *extra_main,
        ]
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("\n".join(main) + "\n")
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write("\n".join(master_cf) + "\n")



class Variant:
    """One master under test: Postfix's, or jmaster from a tree (its launcher) with a given JAVA_HOME."""

    def __init__(self, name, kind, tree=None, java_home=None):
        self.name, self.kind, self.tree, self.java_home = name, kind, tree, java_home

    @property
    def jmaster(self):
        return self.kind == "jmaster"

    def command(self, inst, *extra):
        exe = os.path.join(self.tree, "master") if self.jmaster else os.path.join(POSTFIX_DAEMONS, "master")
        return [exe, "-c", inst.conf, *extra]

    def env(self):
        env = dict(os.environ)
        if self.jmaster:
            env.pop("JAVA_HOME", None)
            if self.java_home:
                env["JAVA_HOME"] = self.java_home
        return env

    def describe(self):
        if not self.jmaster:
            return f"Postfix {postfix_version()}"
        where = "" if os.path.realpath(self.tree) == REPO else f" ({self.tree})"
        jdk = f"JAVA_HOME={self.java_home} ({java_version(self.java_home)})" if self.java_home else "the launcher's JDK"
        return f"jmaster{where}, {jdk}"

    def to_json(self):
        return {"name": self.name, "kind": self.kind, "tree": self.tree, "java_home": self.java_home}


def jdks():
    """{feature release: JAVA_HOME} of the JDKs in /usr/lib/jvm (the newest build of each release)."""
    found = {}
    try:
        names = sorted(os.listdir(JVM_DIR))
    except OSError:
        return found
    for d in names:
        home = os.path.join(JVM_DIR, d)
        if os.path.islink(home) or not os.access(os.path.join(home, "bin", "java"), os.X_OK):
            continue
        try:
            with open(os.path.join(home, "release")) as f:
                for line in f:
                    if line.startswith("JAVA_VERSION="):
                        v = line.split("=", 1)[1].strip().strip('"')
                        feature = int(v[2:].split(".")[0] if v.startswith("1.") else v.split(".")[0].split("-")[0])
                        found.setdefault(feature, home)
        except (OSError, ValueError):
            pass
    return found


def default_variants(postfix=True):
    """jmaster (this tree) on JDK 17 and on the newest JDK found if it is newer; Postfix's master."""
    out = []
    found = jdks()
    homes = []
    if 17 in found:
        homes.append((17, found[17]))
    newest = max(found) if found else None
    if newest is not None and newest != 17:
        homes.append((newest, found[newest]))
    for feature, home in homes:
        out.append(Variant(f"jdk{feature}", "jmaster", REPO, home))
    if not out:
        out.append(Variant("jmaster", "jmaster", REPO, None))
    if postfix:
        out.append(Variant("postfix", "postfix"))
    return out


def parse_variant(spec):
    """NAME=TREE[:JAVA_HOME] (a jmaster tree), or postfix."""
    if spec == "postfix":
        return Variant("postfix", "postfix")
    name, _, rest = spec.partition("=")
    tree, _, home = rest.partition(":")
    if not name or not tree:
        raise SystemExit(f"bench: --variant {spec}: want NAME=TREE[:JAVA_HOME] or postfix")
    return Variant(name, "jmaster", os.path.abspath(tree), home or None)


class Running:
    """A master started in its own session, in the foreground (-d); its pid is the master's."""

    def __init__(self, inst, variant, ports, logname):
        self.inst, self.variant, self.ports = inst, variant, ports
        which = variant.name
        self.logf = open(os.path.join(inst.root, logname), "ab")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(variant.command(inst, "-d"), cwd=inst.root, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.logf, start_new_session=True,
                                     env=variant.env())
        self.pid = self.proc.pid
        self.startup = None
        rc = None
        deadline = self.t0 + 30
        while time.monotonic() < deadline:
            if listening(ports) == set(ports):
                self.startup = time.monotonic() - self.t0
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.0005)
        if self.startup is None:
            self.stop()
            raise RuntimeError(f"{which} did not start listening on {ports} (exit status {self.proc.returncode}); "
                               f"see {self.logf.name}")

    def stop(self, command=None):
        """Stops the master: SIGTERM, or {command} (e.g. jmaster's stop); returns that command's wall time."""
        took = None
        if command is not None and self.proc.poll() is None:
            took, _, _ = timed_run(command, self.inst.root, self.variant.env())
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            left = session_pids(self.pid)
            if not left:
                break
            if time.monotonic() > deadline - 10:
                for p in left:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.logf.close()
        return took


def timed_run(cmd, cwd, env=None):
    """(wall seconds, exit status, max RSS KiB) of one command, waited with wait4."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - t0, p.returncode, ru.ru_maxrss


def bload(bindir, *args, timeout=150):
    env = dict(os.environ, BLOAD_TIMEOUT=str(timeout - 10))
    out = subprocess.run([os.path.join(bindir, "bload"), *map(str, args)], capture_output=True, text=True,
                         timeout=timeout, env=env, check=True).stdout
    return out


def pct(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# ---------------------------------------------------------------- the child figures (1-3, 5, 7, 8)

def child_round(inst, v, cfg, bindir):
    """One repetition of figures 1, 2, 3, 5 (spawn CPU, RSS), 7 and 8 on one master."""
    r = {}
    m = Running(inst, v, [PORT_ONCE, PORT_REUSE, PORT_HOLD], f"{v.name}.log")
    stop = None
    try:
        r["startup_ms"] = m.startup * 1000
        # figure 1: the very first connection after start (no warm-up), then a sequential series
        first = int(bload(bindir, "lat", PORT_ONCE, 1).split()[0])
        r["first_ms"] = first / 1e6 if first > 0 else float("nan")
        time.sleep(0.5)
        r["rss_idle_kib"], r["anon_idle_kib"] = rss_kib(m.pid)
        r["smaps_idle"] = smaps_rollup(m.pid)
        # figure 7: -t of this master against itself, running (exit 1 expected)
        t = [timed_run(v.command(inst, "-t"), inst.root, v.env()) for _ in range(cfg.t_reps)]
        r["t_ms"] = statistics.median(x[0] for x in t) * 1000
        r["t_rc"] = t[0][1]
        if v.jmaster:
            # the operator's commands against the running master (status exits 0, reload waits for it)
            st = [timed_run(v.command(inst, "status"), inst.root, v.env()) for _ in range(cfg.t_reps)]
            r["status_ms"] = statistics.median(x[0] for x in st) * 1000
            r["status_rc"] = max(x[1] for x in st)
            rl = [timed_run(v.command(inst, "reload"), inst.root, v.env()) for _ in range(cfg.reload_reps)]
            r["reload_cmd_ms"] = statistics.median(x[0] for x in rl) * 1000
            r["reload_cmd_rc"] = max(x[1] for x in rl)
        lat1 = [int(x) for x in bload(bindir, "lat", PORT_ONCE, cfg.lat_n).split()]
        r["once_failed"] = sum(1 for x in lat1 if x < 0)
        r["once_us"] = [x / 1000 for x in lat1 if x > 0]
        # figure 2: a reused child (one connection first so a child exists); the master's part of it
        # is two status frames per connection (TAKEN, AVAIL)
        bload(bindir, "lat", PORT_REUSE, 1)
        c0 = cpu_ns(m.pid)
        lat2 = [int(x) for x in bload(bindir, "lat", PORT_REUSE, cfg.lat_n).split()]
        r["cpu_ms_per_1000_reused"] = (cpu_ns(m.pid) - c0) / 1e6 / cfg.lat_n * 1000
        r["reuse_failed"] = sum(1 for x in lat2 if x < 0)
        r["reuse_us"] = [x / 1000 for x in lat2 if x > 0]
        # figure 3 and 5: spawn-and-reap at saturation, and the master's CPU for it
        c0 = cpu_ns(m.pid)
        ok, failed, ns = parse_counts(bload(bindir, "rate", PORT_ONCE, cfg.rate_n, cfg.rate_c))
        c1 = cpu_ns(m.pid)
        r["rate_per_s"] = ok / (ns / 1e9)
        r["rate_failed"] = failed
        r["cpu_ms_per_1000_spawns"] = (c1 - c0) / 1e6 / ok * 1000 if ok else float("nan")
        r["rss_after_load_kib"], r["anon_after_load_kib"] = rss_kib(m.pid)
        # figure 8: many concurrent children holding slow clients
        r.update(scale(m, cfg, bindir))
        if v.jmaster:
            stop = v.command(inst, "stop")
    finally:
        took = m.stop(stop)
    if took is not None:
        r["stop_cmd_ms"] = took * 1000
    return r


def smaps_rollup(pid):
    """The master's memory by kind (KiB): /proc/PID/smaps_rollup, and its class-data archive's own pages."""
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if v.strip().endswith("kB"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    cds = {"Rss": 0, "Private_Dirty": 0, "Shared_Clean": 0, "Private_Clean": 0}
    try:
        with open(f"/proc/{pid}/smaps") as f:
            inside = False
            for line in f:
                if "-" in line.split(" ", 1)[0] and len(line.split()) >= 5:
                    inside = line.rstrip().endswith(".jsa") or line.rstrip().endswith(".aot")
                elif inside:
                    k, _, v = line.partition(":")
                    if k in cds:
                        cds[k] += int(v.split()[0])
    except OSError:
        pass
    out["archive"] = cds
    return out


def parse_counts(line):
    f = line.split()
    return int(f[1]), int(f[3]), int(f[5])


def scale(m, cfg, bindir):
    r = {}
    c0 = cpu_ns(m.pid)
    env = dict(os.environ, BLOAD_TIMEOUT="150")
    p = subprocess.Popen([os.path.join(bindir, "bload"), "hold", str(PORT_HOLD), str(cfg.hold_n)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        held, failed, ns = parse_counts(p.stdout.readline())
        r["hold_held"], r["hold_failed"], r["hold_ramp_s"] = held, failed, ns / 1e9
        r["hold_cpu_ms"] = (cpu_ns(m.pid) - c0) / 1e6
        time.sleep(1.0)
        r["hold_rss_kib"], _ = rss_kib(m.pid)
        i0 = cpu_ns(m.pid)
        time.sleep(1.0)
        r["hold_idle_cpu_ms_per_s"] = (cpu_ns(m.pid) - i0) / 1e6
        p.stdin.write(f"probe {cfg.probe_n}\n")
        p.stdin.flush()
        probes = [int(x) for x in p.stdout.readline().split()]
        r["hold_probe_us"] = statistics.median(x / 1000 for x in probes if x > 0)
        # SIGHUP with every child alive: wall time until the master has been quiet for 300 ms,
        # measured from its own threads' run time (schedstat, nanoseconds)
        last = cpu_ns(m.pid)
        t_hup = time.monotonic()
        os.kill(m.pid, signal.SIGHUP)
        t_change = t_hup
        while time.monotonic() - t_change < 0.3 and time.monotonic() - t_hup < 20:
            time.sleep(0.0005)
            now = cpu_ns(m.pid)
            if now != last:
                last, t_change = now, time.monotonic()
        r["reload_ms"] = (t_change - t_hup) * 1000
        p.stdin.write("probe 3\n")
        p.stdin.flush()
        after = [int(x) for x in p.stdout.readline().split()]
        r["reload_then_served"] = sum(1 for x in after if x > 0)
        p.stdin.write("quit\n")
        p.stdin.flush()
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # the held children leave as their clients close; wait (bounded) so the next figure starts clean
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(session_pids(m.pid)) > 3:
        time.sleep(0.05)
    return r


# ---------------------------------------------------------------- figure 6: idle cost

def idle_round(insts, cfg):
    """Every master idle at once (different instances and ports) for cfg.idle_s seconds."""
    ms = {}
    try:
        for v, inst, ports in insts:
            ms[v.name] = Running(inst, v, ports, f"{v.name}-idle.log")
        time.sleep(cfg.idle_settle_s)
        before = {w: (cpu_ns(m.pid), switches(m.pid)) for w, m in ms.items()}
        time.sleep(cfg.idle_s)
        out = {}
        for w, m in ms.items():
            c0, s0 = before[w]
            s1 = switches(m.pid)
            woke = {k: s1[k] - s0.get(k, 0) for k in s1 if s1[k] - s0.get(k, 0) > 0}
            out[w] = {"idle_cpu_ms": (cpu_ns(m.pid) - c0) / 1e6, "idle_switches": sum(woke.values()),
                      "idle_threads_woken": woke, "rss_idle_kib": rss_kib(m.pid)[0]}
        return out
    finally:
        for m in ms.values():
            m.stop()


# ---------------------------------------------------------------- figure 4: mail

STOCK_SERVICES = [
    "pickup    unix  n - n 60    1 pickup",
    "cleanup   unix  n - n -     0 cleanup",
    "qmgr      unix  n - n 300   1 qmgr",
    "tlsmgr    unix  - - n 1000? 1 tlsmgr",
    "rewrite   unix  - - n -     - trivial-rewrite",
    "bounce    unix  - - n -     0 bounce",
    "defer     unix  - - n -     0 bounce",
    "trace     unix  - - n -     0 bounce",
    "verify    unix  - - n -     1 verify",
    "flush     unix  n - n 1000? 0 flush",
    "proxymap  unix  - - n -     - proxymap",
    "proxywrite unix - - n -     1 proxymap",
    "smtp      unix  - - n -     - smtp",
    "relay     unix  - - n -     - smtp",
    "showq     unix  n - n -     - showq",
    "error     unix  - - n -     - error",
    "retry     unix  - - n -     - error",
    "discard   unix  - - n -     - discard",
    "local     unix  - n n -     - local",
    "virtual   unix  - n n -     - virtual",
    "lmtp      unix  - - n -     - lmtp",
    "anvil     unix  - - n -     1 anvil",
    "scache    unix  - - n -     1 scache",
    "postlog   unix-dgram n - n - 1 postlogd",
]


def mail_instance(root):
    mail = os.path.join(root, "mail")
    os.makedirs(mail, exist_ok=True)
    os.chmod(mail, 0o1777)
    inst = Instance(root, [f"127.0.0.1:{PORT_SMTP} inet n - n - - smtpd", *STOCK_SERVICES], POSTFIX_DAEMONS, [
        "mydestination = bench.test, localhost",
        "mynetworks = 127.0.0.0/8",
        "default_transport = error:nothing leaves this benchmark",
        "relay_transport = error:nothing leaves this benchmark",
        f"maillog_file = {root}/maillog",
        f"maillog_file_prefixes = {root}",
        "alias_maps =",
        "alias_database =",
        "local_recipient_maps =",
        f"mail_spool_directory = {mail}",
        "biff = no",
        "smtpd_banner = $myhostname ESMTP",
    ])
    subprocess.run(["/usr/sbin/postfix", "-c", inst.conf, "check"], check=True, timeout=120,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    inst.mailbox = os.path.join(mail, "nobody")
    return inst


def count_from_lines(path, state):
    """Counts mailbox 'From ' lines incrementally; state = [offset, count, partial]."""
    try:
        with open(path, "rb") as f:
            f.seek(state[0])
            chunk = f.read()
    except FileNotFoundError:
        return state[1]
    state[0] += len(chunk)
    data = state[2] + chunk
    lines = data.split(b"\n")
    state[2] = lines.pop()
    state[1] += sum(1 for line in lines if line.startswith(b"From "))
    return state[1]


def mail_round(inst, v, cfg):
    out = {}
    m = Running(inst, v, [PORT_SMTP], f"{v.name}.log")
    try:
        time.sleep(0.5)
        c_start = cpu_ns(m.pid)
        for sessions in cfg.mail_sessions:
            if os.path.exists(inst.mailbox):
                os.remove(inst.mailbox)  # local(8) creates it again, owned by the recipient
            state = [0, 0, b""]
            t0 = time.monotonic()
            src = subprocess.Popen(["smtp-source", "-s", str(sessions), "-m", str(cfg.mail_n), "-l", "1024",
                                    "-f", "sender@bench.test", "-t", "nobody@localhost", f"127.0.0.1:{PORT_SMTP}"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = t0 + cfg.mail_timeout_s
            while time.monotonic() < deadline and count_from_lines(inst.mailbox, state) < cfg.mail_n:
                time.sleep(0.02)
            elapsed = time.monotonic() - t0
            if src.poll() is None:
                src.kill()
            src.wait()
            got = state[1]
            out[f"mail_s{sessions}_s"] = elapsed if got >= cfg.mail_n else float("nan")
            out[f"mail_s{sessions}_delivered"] = got
        out["mail_cpu_ms"] = (cpu_ns(m.pid) - c_start) / 1e6
        out["rss_after_mail_kib"], _ = rss_kib(m.pid)
    finally:
        m.stop()
    return out


# ---------------------------------------------------------------- summary, table, picture

def median_of(rounds, key):
    vals = [r[key] for r in rounds if key in r and r[key] == r[key]]
    return statistics.median(vals) if vals else float("nan")


def variants_of(res):
    """The variants of a results.json (older ones had exactly jmaster and postfix)."""
    vs = res.get("variants") or [{"name": "jmaster", "kind": "jmaster"}, {"name": "postfix", "kind": "postfix"}]
    return [Variant(x["name"], x["kind"], x.get("tree"), x.get("java_home")) for x in vs]


def reference_of(variants):
    """What the ratios divide by: Postfix's master, or the first variant when it did not run."""
    for v in variants:
        if not v.jmaster:
            return v
    return variants[0]


def summarise(res):
    """The table rows: (figure, label, unit, a value per variant, better-is-lower, how)."""
    rows = []
    variants = variants_of(res)
    ref = reference_of(variants)

    def add(fig, label, unit, key, lower=True, how="", src="child", scale=1.0, fn=None, jmaster_only=False):
        vals = {}
        for v in variants:
            rounds = res[src].get(v.name, [])
            if jmaster_only and not v.jmaster:
                vals[v.name] = float("nan")
                continue
            val = fn(rounds) if fn else median_of(rounds, key)
            vals[v.name] = val * scale
        rows.append({"fig": fig, "label": label, "unit": unit, "values": vals, "lower_is_better": lower, "how": how})

    def lat(key, p):
        def f(rounds):
            per = [pct(r[key], p) for r in rounds if r.get(key)]
            return statistics.median(per) if per else float("nan")
        return f

    n = res["config"]["lat_n"]
    for p in (50, 90, 99):
        add("1", f"connect → first byte, fresh child, p{p}", "µs", None, fn=lat("once_us", p),
            how=f"`bload lat`: {n} sequential connections to a `once` service; median over repetitions of the percentile")
    add("1", "first connection after start", "ms", "first_ms",
        how="the first connection once the listener is in LISTEN state (no warm-up connection)")
    for p in (50, 90, 99):
        add("2", f"connect → first byte, reused child, p{p}", "µs", None, fn=lat("reuse_us", p),
            how=f"`bload lat`: {n} sequential connections to a `reuse` service")
    add("2", "master CPU per 1,000 reused-child connections", "ms", "cpu_ms_per_1000_reused",
        how="all threads' run time over figure 2 (two status frames per connection)")
    add("3", "spawn-and-reap rate at saturation", "spawns/s", "rate_per_s", lower=False,
        how=f"`bload rate`: {res['config']['rate_n']} connections from {res['config']['rate_c']} concurrent clients, "
            "one child each")
    for s in res["config"]["mail_sessions"]:
        add("4", f"{res['config']['mail_n']} messages, {s} session(s)", "s", f"mail_s{s}_s", src="mail",
            how="`smtp-source -s N -m M -l 1024` → smtpd → cleanup → qmgr → local; until all are in the mailbox")
    add("5", "master RSS idle after start", "MiB", "rss_idle_kib", scale=1 / 1024, how="VmRSS, 0.5 s after the listeners are up")
    add("5", "master RSS after figures 1-3", "MiB", "rss_after_load_kib", scale=1 / 1024, how="VmRSS")
    add("5", "master RSS at the end of figure 4", "MiB", "rss_after_mail_kib", scale=1 / 1024, src="mail",
        how="VmRSS once the last message is delivered")
    add("5", "master CPU per 1,000 spawns", "ms", "cpu_ms_per_1000_spawns",
        how="all threads' run time (`/proc/PID/task/*/schedstat`) over figure 3")
    add("5", "master CPU over all of figure 4", "ms", "mail_cpu_ms", src="mail",
        how=f"all threads' run time while {len(res['config']['mail_sessions'])} × {res['config']['mail_n']} messages "
            "go through")
    add("6", f"idle: master CPU over {res['config']['idle_s']:g} s", "ms", "idle_cpu_ms", src="idle",
        how="all masters idle side by side; all threads' run time")
    add("6", f"idle: context switches over {res['config']['idle_s']:g} s", "", "idle_switches", src="idle",
        how="voluntary + involuntary, summed over all threads (`/proc/PID/task/*/status`)")
    add("7", "start → listening", "ms", "startup_ms",
        how="`master -c DIR -d` exec → all three listeners in LISTEN state (`/proc/net/tcp`, polled every 0.5 ms)")
    add("7", "`-t` wall time (master running)", "ms", "t_ms",
        how=f"median of {res['config']['t_reps']} runs of `master -c DIR -t`")
    add("7", "`master status` wall time", "ms", "status_ms", jmaster_only=True,
        how=f"median of {res['config']['t_reps']} runs (Postfix's master has no such command)")
    add("7", "`master reload` wall time", "ms", "reload_cmd_ms", jmaster_only=True,
        how=f"median of {res['config'].get('reload_reps', 3)} runs: validates, SIGHUP, waits until the master has reloaded")
    add("7", "`master stop` wall time", "ms", "stop_cmd_ms", jmaster_only=True,
        how="SIGTERM, waits until the lock is free (after figure 8, its children gone)")
    h = res["config"]["hold_n"]
    add("8", f"{h} held children: time to spawn them", "s", "hold_ramp_s",
        how=f"`bload hold`: {h} connections, each held by its own child, ≤ 64 waiting at a time")
    add("8", f"{h} held children: master CPU to spawn them", "ms", "hold_cpu_ms", how="all threads' run time")
    add("8", f"{h} held children: master RSS", "MiB", "hold_rss_kib", scale=1 / 1024, how="VmRSS with all held")
    add("8", f"{h} held children: master CPU while they are held", "ms/s", "hold_idle_cpu_ms_per_s",
        how="over 1 s with nothing happening")
    add("8", f"{h} held children: new client connect → first byte", "µs", "hold_probe_us",
        how=f"median of {res['config']['probe_n']} sequential new connections")
    add("8", f"{h} held children: SIGHUP reload", "ms", "reload_ms",
        how="SIGHUP → the master's last CPU activity before 300 ms of quiet (schedstat polled every 0.5 ms)")
    for r in rows:
        base = r["values"][ref.name]
        r["ratios"] = {v.name: (r["values"][v.name] / base if base and base == base else float("nan"))
                       for v in variants if v is not ref}
    return rows


def fmt(v):
    if v != v:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table_md(rows, meta, variants):
    ref = reference_of(variants)
    others = [v for v in variants if v is not ref]
    head = "| fig | what | " + " | ".join(column_name(v) for v in variants) + " | " \
        + " | ".join(f"{column_name(v)} / {column_name(ref)}" for v in others) + " | how measured |"
    out = [f"Run: {meta['date']} · machine: {meta['machine']} · mode: {meta['mode']}, "
           f"{meta['reps']} repetitions ({'/'.join(v.name for v in variants)} rotating) · "
           f"{meta.get('load', 'shared with other work')}", ""]
    for v in variants:
        out.append(f"- {column_name(v)}: {meta.get('described', {}).get(v.name, v.name)}")
    out += ["", head, "| --- | --- | " + "---: | " * (len(variants) + len(others)) + "--- |"]
    for r in rows:
        unit = f" {r['unit']}" if r["unit"] else ""
        cells = [f"{fmt(r['values'][v.name])}{unit if r['values'][v.name] == r['values'][v.name] else ''}"
                 for v in variants]
        ratios = []
        for v in others:
            x = r["ratios"][v.name]
            text = "n/a" if x != x else f"{x:.2f}×"
            behind = x == x and ((x > 1.05) if r["lower_is_better"] else (x < 0.95))
            ratios.append("**" + text + "**" if behind else text)
        out.append(f"| {r['fig']} | {r['label']} | " + " | ".join(cells + ratios) + f" | {r['how']} |")
    return "\n".join(out) + "\n"


# issue 14's targets: (what, key in the rows' labels, kind, target); kind "x" is a ratio to Postfix's
# master from the same run, "abs" the figure itself
TARGETS = [
    ("idle RSS", "master RSS idle after start", "abs", 40, "MiB"),
    ("master CPU per 1,000 spawns", "master CPU per 1,000 spawns", "x", 1.0, ""),
    ("master CPU over the mail figure", "master CPU over all of figure 4", "x", 1.5, ""),
    ("reused child connect → first byte p50", "connect → first byte, reused child, p50", "x", 1.1, ""),
    ("reused child connect → first byte p90", "connect → first byte, reused child, p90", "x", 1.1, ""),
    ("fresh child p50", "connect → first byte, fresh child, p50", "x", 1.0, ""),
    ("fresh child p99", "connect → first byte, fresh child, p99", "x", 1.25, ""),
    ("first connection after start", "first connection after start", "abs", 5, "ms"),
    ("start → all listeners up", "start → listening", "abs", 150, "ms"),
    ("`master -t` with a master running", "`-t` wall time (master running)", "abs", 60, "ms"),
    ("`master status`", "`master status` wall time", "abs", 120, "ms"),
    ("`master reload`", "`master reload` wall time", "abs", 120, "ms"),
    ("`master stop`", "`master stop` wall time", "abs", 120, "ms"),
    ("SIGHUP with 2,000 live children", "held children: SIGHUP reload", "abs", 3, "ms"),
    ("idle: the JVM's own wake-ups (the master's threads: none)", "idle: context switches over", "info", 0, ""),
]


def targets_md(rows, variants):
    """Issue 14's targets table: each jmaster variant's figure (and ratio), met or not."""
    ref = reference_of(variants)
    jm = [v for v in variants if v.jmaster]
    out = ["| figure | target | " + " | ".join(column_name(v) for v in jm) + " |",
           "| --- | --- | " + "--- | " * len(jm)]
    for what, label, kind, target, unit in TARGETS:
        row = next((r for r in rows if label in r["label"]), None)
        if row is None:
            continue
        cells = []
        for v in jm:
            val = row["values"].get(v.name, float("nan"))
            ratio = row.get("ratios", {}).get(v.name, float("nan"))
            got = ratio if kind == "x" else val
            if kind == "info":
                cells.append(f"{fmt(val)} {row['unit']}".strip() if val == val else "n/a")
                continue
            text = (f"{fmt(val)} {row['unit']}".strip() + (f" ({ratio:.2f}×)" if ratio == ratio and not ref.jmaster else "")
                    if val == val else "n/a")
            met = "met" if got == got and got <= target else ("**not met**" if got == got else "")
            cells.append(f"{text}: {met}" if met else text)
        goal = {"x": f"≤ {target:g}×", "info": "report"}.get(kind, f"≤ {target:g} {unit}".strip())
        out.append(f"| {what} | {goal} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def column_name(v):
    return {"postfix": "Postfix"}.get(v.name, v.name)


def svg_cdf(res, path, meta):
    """Figures 1 and 2: the latency distributions (CDF, log time axis) of both masters."""
    W, H, L, R, T, B = 760, 420, 70, 20, 40, 60
    series = []
    palette = ["#c0392b", "#e67e22", "#8e44ad", "#27ae60"]
    variants = variants_of(res)
    colours = {}
    for v in variants:
        colours[v.name] = "#2c3e50" if not v.jmaster else palette[len(colours) % len(palette)]
    for key, dash, name in (("once_us", "", "fresh child"), ("reuse_us", "6,4", "reused child")):
        for v in variants:
            vals = sorted(x for r in res["child"].get(v.name, []) for x in r[key])
            if vals:
                series.append((f"{column_name(v)}, {name}", colours[v.name], dash, vals))
    allv = [v for s in series for v in s[3]]
    import math
    lo = 10 ** math.floor(math.log10(max(min(allv), 1)))
    hi = 10 ** math.ceil(math.log10(pct(allv, 99.9)))

    def x(v):
        v = min(max(v, lo), hi)
        return L + (W - L - R) * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    def y(q):
        return T + (H - T - B) * (1 - q)

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">Connect → first reply byte '
         f'(figures 1 and 2), cumulative share of connections</text>']
    d = lo
    while d <= hi:
        for m in (1, 2, 5):
            v = d * m
            if lo <= v <= hi:
                o.append(f'<line x1="{x(v):.1f}" y1="{T}" x2="{x(v):.1f}" y2="{H - B}" stroke="#ddd"/>')
                label = f"{v / 1000:g} ms" if v >= 1000 else f"{v:g} µs"
                o.append(f'<text x="{x(v):.1f}" y="{H - B + 16}" text-anchor="middle">{label}</text>')
        d *= 10
    for q in (0, 0.25, 0.5, 0.75, 0.9, 0.99, 1):
        o.append(f'<line x1="{L}" y1="{y(q):.1f}" x2="{W - R}" y2="{y(q):.1f}" stroke="#eee"/>')
        o.append(f'<text x="{L - 6}" y="{y(q) + 4:.1f}" text-anchor="end">{q:g}</text>')
    o.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#888"/>')
    for i, (name, colour, dash, vals) in enumerate(series):
        n = len(vals)
        step = max(1, n // 400)
        pts = [f"{x(vals[k]):.1f},{y((k + 1) / n):.1f}" for k in range(0, n, step)] + [f"{x(vals[-1]):.1f},{y(1):.1f}"]
        o.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" '
                 f'points="{" ".join(pts)}"/>')
        ly = T + 16 + 16 * i
        o.append(f'<line x1="{L + 12}" y1="{ly - 4}" x2="{L + 40}" y2="{ly - 4}" stroke="{colour}" '
                 f'stroke-width="2" stroke-dasharray="{dash}"/>')
        o.append(f'<text x="{L + 46}" y="{ly}">{name} (p50 {pct(vals, 50):.0f} µs, p99 {pct(vals, 99):.0f} µs)</text>')
    o.append(f'<text x="{W / 2}" y="{H - 18}" text-anchor="middle" fill="#555">{meta["date"]}, {meta["machine"]}, '
             f'{meta["reps"]} repetitions pooled; shared machine</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="one short repetition of every figure")
    ap.add_argument("--out", default=os.path.join(REPO, "target", "bench"))
    ap.add_argument("--bin", required=True, help="directory with bload and bchild")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--only", default="child,idle,mail", help="which parts to run")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=TREE[:JAVA_HOME] (a jmaster tree: its launcher, services/ and target/) or postfix; "
                         "repeatable; default: this tree on JDK 17 and on the newest JDK in /usr/lib/jvm, and postfix")
    ap.add_argument("--docs", action="store_true", help="write the table and picture into docs/")
    ap.add_argument("--idle-seconds", type=float, help="length of figure 6 (default 60, smoke 2)")
    ap.add_argument("--from-json", help="no measuring: redo the table and picture from a results.json")
    cfg = ap.parse_args()
    if cfg.from_json:
        with open(cfg.from_json) as f:
            res = json.load(f)
        return report(res, cfg)
    smoke = cfg.smoke
    cfg.reps = cfg.reps or (1 if smoke else 5)
    cfg.lat_n = 50 if smoke else 1000
    cfg.rate_n, cfg.rate_c = (200, 4) if smoke else (3000, 8)
    cfg.hold_n = 50 if smoke else 2000
    cfg.probe_n = 5 if smoke else 20
    cfg.t_reps = 3 if smoke else 10
    cfg.reload_reps = 1 if smoke else 3
    cfg.idle_s, cfg.idle_settle_s = (2, 1) if smoke else (60, 3)
    cfg.idle_s = cfg.idle_seconds or cfg.idle_s
    cfg.mail_n = 100 if smoke else 5000
    cfg.mail_sessions = [10] if smoke else [1, 10, 50]
    cfg.mail_reps = 1 if smoke else 3
    cfg.mail_timeout_s = 60 if smoke else 180
    parts = set(cfg.only.split(","))
    variants = [parse_variant(x) for x in cfg.variant] if cfg.variant else default_variants()
    if len({v.name for v in variants}) != len(variants):
        sys.exit("bench: two variants with one name")
    if os.geteuid() != 0:
        sys.exit("bench: Postfix's master is reserved for the superuser: run as root")
    os.makedirs(cfg.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="jmaster-bench-", dir="/tmp")
    os.chmod(work, 0o755)
    daemons = os.path.join(work, "libexec")
    os.makedirs(daemons)
    shutil.copy(os.path.join(cfg.bin, "bchild"), daemons)
    child_cf = [f"127.0.0.1:{PORT_ONCE} inet n - n - 100 bchild once",
                f"127.0.0.1:{PORT_REUSE} inet n - n - 100 bchild reuse",
                f"127.0.0.1:{PORT_HOLD} inet n - n - {cfg.hold_n + 100} bchild hold"]
    names = [v.name for v in variants]
    res = {"config": {k: v for k, v in vars(cfg).items() if k not in ("out", "bin")},
           "variants": [v.to_json() for v in variants],
           "child": {w: [] for w in names}, "mail": {w: [] for w in names}, "idle": {w: [] for w in names}}
    load_before = os.getloadavg()
    started = time.monotonic()
    try:
        if "child" in parts:
            inst = Instance(os.path.join(work, "child"), child_cf, daemons)
            for v in variants:
                if v.jmaster:
                    # not counted: the launcher makes its class-data archive (or AOT cache) for this JDK
                    log(f"bench: warm-up start of {v.name}")
                    Running(inst, v, [PORT_ONCE, PORT_REUSE, PORT_HOLD], f"{v.name}-warmup.log").stop()
            for rep in range(cfg.reps):
                for v in rotated(variants, rep):
                    log(f"bench: figures 1-3, 5, 7, 8: repetition {rep + 1}/{cfg.reps}, {v.name}")
                    res["child"][v.name].append(child_round(inst, v, cfg, cfg.bin))
        if "idle" in parts:
            log(f"bench: figure 6: {len(variants)} masters idle side by side for {cfg.idle_s} s")
            insts = []
            for i, v in enumerate(variants):
                off = IDLE_PORT_OFFSET * (i + 1)
                ports = [PORT_ONCE + off, PORT_REUSE + off, PORT_HOLD + off]
                cf = [line.replace(f":{p} ", f":{p + off} ") for line, p in zip(child_cf, (PORT_ONCE, PORT_REUSE, PORT_HOLD))]
                insts.append((v, Instance(os.path.join(work, f"idle-{v.name}"), cf, daemons), ports))
            for w, r in idle_round(insts, cfg).items():
                res["idle"][w].append(r)
        if "mail" in parts:
            inst = mail_instance(os.path.join(work, "mail"))
            for rep in range(cfg.mail_reps):
                for v in rotated(variants, rep):
                    log(f"bench: figure 4: repetition {rep + 1}/{cfg.mail_reps}, {v.name}")
                    res["mail"][v.name].append(mail_round(inst, v, cfg))
    finally:
        if os.environ.get("BENCH_KEEP") is None:
            shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    meta = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "machine": f"{os.cpu_count()} cores, {cpu_model()}, Linux {platform.release()}",
            "described": {v.name: v.describe() for v in variants},
            "load": f"1-minute load {load_before[0]:.2f} before, {load_after[0]:.2f} after",
            "mode": "smoke" if smoke else "full", "reps": cfg.reps,
            "minutes": (time.monotonic() - started) / 60}
    res["meta"] = meta
    report(res, cfg)


def rotated(variants, rep):
    """Repetition rep's order: each variant goes first in turn (two variants: A B, B A, ...)."""
    k = rep % len(variants)
    return variants[k:] + variants[:k]


def report(res, cfg):
    meta = res["meta"]
    variants = variants_of(res)
    os.makedirs(cfg.out, exist_ok=True)
    rows = summarise(res)
    res["rows"] = rows
    with open(os.path.join(cfg.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    table = table_md(rows, meta, variants)
    with open(os.path.join(cfg.out, "results.md"), "w") as f:
        f.write(table)
    svg = os.path.join(cfg.out, "latency.svg")
    if sum(1 for v in variants if res["child"].get(v.name)) >= 1:
        svg_cdf(res, svg, meta)
    print(table)
    print(f"bench: {meta['minutes']:.1f} minutes; results in {cfg.out}")
    targets = targets_md(rows, variants)
    with open(os.path.join(cfg.out, "targets.md"), "w") as f:
        f.write(targets)
    print(targets)
    if cfg.docs:
        write_docs(table, svg, targets)
    problems = check_sanity(res)
    if problems:
        sys.exit("bench: " + "; ".join(problems))


def check_sanity(res):
    """Failures, not timings: every connection answered, every message delivered, every command done."""
    bad = []
    for v in variants_of(res):
        w = v.name
        for r in res["child"].get(w, []):
            for k in ("once_failed", "reuse_failed", "rate_failed", "hold_failed", "status_rc", "reload_cmd_rc"):
                if r.get(k):
                    bad.append(f"{w}: {k} = {r[k]}")
            if r.get("reload_then_served", 3) < 3:
                bad.append(f"{w}: not serving after reload")
        for r in res["mail"].get(w, []):
            for k, val in r.items():
                if k.endswith("_delivered") and val < res["config"]["mail_n"]:
                    bad.append(f"{w}: {k} = {val}")
    return bad


def write_docs(table, svg, targets):
    """The results table, issue 14's targets table and the picture into docs/ (between their markers)."""
    doc = os.path.join(REPO, "docs", "benchmarks.md")
    os.makedirs(os.path.join(REPO, "docs", "img"), exist_ok=True)
    shutil.copy(svg, os.path.join(REPO, "docs", "img", "bench-latency.svg"))
    with open(doc) as f:
        text = f.read()
    for name, content in (("results", table), ("targets", targets)):
        begin, end = f"<!-- {name}:begin (written by src/bench/run --docs) -->", f"<!-- {name}:end -->"
        i, j = text.index(begin) + len(begin), text.index(end)
        text = text[:i] + "\n" + content + text[j:]
    with open(doc, "w") as f:
        f.write(text)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def java_version(home=None):
    try:
        java = os.path.join(home, "bin", "java") if home else "java"
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
        return "JDK " + out.split('"')[1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "JDK ?"


def postfix_version():
    try:
        return subprocess.run(["/usr/sbin/postconf", "-d", "-h", "mail_version"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__":
    main()
