#!/usr/bin/python3
"""The chaos suite (issue 13): faults an operator, the kernel or a bad child inflicts on a master, run
against jmaster and Postfix's master on the same machine, alternating. Run through src/bench/run --chaos.

Scenarios (each bounded in time and count, loopback only, every process it starts is stopped):
  kill     kill storm: maxproc 20, -o max_use=5, 8 clients in a loop, SIGKILL to a random child of the
           master every 250 ms for 20 s (short: 5 s); kills, sessions served, time-outs, errors, throttles
  reload   reload storm: 100 SIGHUPs (short: 20), 100 ms apart, under 8 looping clients; failed sessions
  churn    spawn churn: 10,000 one-shot children (short: 1,000); the master's descriptors and RSS
           before/after, children left as zombies
  garbage  garbage on the status channel: children that write garbage frames to fd 5 before serving;
           the master survives, its log volume, `status` still answers (jmaster only), still serving
  broken   a broken master.cf, then SIGHUP: jmaster keeps serving the old table; Postfix's master exits
           by design (recorded)
  flood    200 clients at once (short: 100) on a maxproc 10 service: served, timed out, refused
Both masters run the same main.cf and master.cf (service_throttle_time 5s unless --throttle-time);
Postfix's master logs through postlogd to maillog_file, jmaster writes the same file itself.
"""
import argparse
import datetime
import json
import os
import platform
import pwd
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import bench
from bench import REPO, Instance, Running, cpu_ns, log, rss_kib, session_pids

MASTERS = bench.MASTERS
SCENARIOS = ("kill", "reload", "churn", "garbage", "broken", "flood")
PORT = {"kill": 17301, "reload": 17302, "churn": 17303, "garbage": 17304, "broken": 17305, "flood": 17306}
CHILD = "cchild"


# ---------------------------------------------------------------- /proc: the master's children

def children(pid):
    """[(pid, state, comm)] of every child of pid (all threads' children: the JVM spawns from its loop)."""
    kids = set()
    for t in bench.task_ids(pid):
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids.update(int(x) for x in f.read().split())
        except OSError:
            pass
    out = []
    for k in kids:
        try:
            with open(f"/proc/{k}/stat") as f:
                st = f.read()
            comm = st[st.index("(") + 1:st.rindex(")")]
            out.append((k, st[st.rindex(")") + 2], comm))
        except (OSError, ValueError):
            pass
    return out


def workers(pid):
    """Live (not zombie) chaos children of the master."""
    return [k for k, state, comm in children(pid) if comm == CHILD and state != "Z"]


def zombies(pid):
    return [k for k, state, _ in children(pid) if state == "Z"]


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def wait_until(cond, timeout, step=0.02):
    """Polls cond() until it is true or timeout seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


# ---------------------------------------------------------------- instances and logs

def chaos_instance(root, daemons, master_cf, cfg):
    """bench.Instance plus what Postfix's master needs to log to a file (postlogd, public/, private/)."""
    maillog = os.path.join(root, "maillog")
    inst = Instance(root, [*master_cf, "postlog unix-dgram n - n - 1 postlogd"], daemons, [
        f"service_throttle_time = {cfg.throttle_time}",
        f"maillog_file = {maillog}",
        f"maillog_file_prefixes = {root}",
    ])
    pw = pwd.getpwnam("postfix")
    for d in ("public", "private"):
        path = os.path.join(inst.queue, d)
        os.makedirs(path, exist_ok=True)
        os.chown(path, pw.pw_uid, pw.pw_gid)
    inst.maillog = maillog
    inst.good_master_cf = open(os.path.join(inst.conf, "master.cf")).read()
    return inst


class LogWindow:
    """The part of an instance's maillog written since the window opened."""

    def __init__(self, inst):
        self.path = inst.maillog
        self.start = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def text(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.start)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def count(self, regex):
        return len(re.findall(regex, self.text(), re.M))


def start(inst, which, port):
    m = Running(inst, which, [port], f"{which}.stderr")
    # Postfix's master starts postlogd on its first log line; let that happen outside any figure
    wait_until(lambda: which == "jmaster" or any(c == "postlogd" for _, _, c in children(m.pid)), 5)
    return m


def bload(cfg, *args, timeout):
    env = dict(os.environ, BLOAD_TIMEOUT=str(int(timeout)))
    return subprocess.Popen([os.path.join(cfg.bin, "bload"), *map(str, args)], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env)


def sessions_result(proc, timeout):
    """Parses `bload loop|flood` output: ok, timeout, refused, reset, other, ns, maxns."""
    out, _ = proc.communicate(timeout=timeout)
    f = out.split()
    r = {f[i]: int(f[i + 1]) for i in range(0, len(f) - 1, 2)}
    r["failed"] = r.get("timeout", 0) + r.get("refused", 0) + r.get("reset", 0) + r.get("other", 0)
    return r


def stop(m):
    """Stops the master; True when it was still alive."""
    alive = m.proc.poll() is None
    m.stop()
    return alive


def settle(pid, timeout=10, idle_ok=True):
    """Waits (bounded) until the master has no zombie child (and, unless idle_ok, no live chaos child
    either); returns the number of zombies left."""
    wait_until(lambda: not zombies(pid) and (idle_ok or not workers(pid)), timeout)
    return len(zombies(pid))


# ---------------------------------------------------------------- scenarios

def kill_storm(inst, which, cfg, rep):
    port = PORT["kill"]
    win = LogWindow(inst)
    m = start(inst, which, port)
    r = {}
    try:
        rng = random.Random(1300 + rep)  # the same choices for both masters of one repetition
        load = bload(cfg, "loop", port, cfg.kill_s, cfg.kill_clients, timeout=cfg.kill_s + 30)
        t0 = time.monotonic()
        kills = empty = 0
        live = []
        tick = t0
        while True:
            tick += cfg.kill_interval
            if tick > t0 + cfg.kill_s:
                break
            time.sleep(max(0.0, tick - time.monotonic()))
            kids = workers(m.pid)
            live.append(len(kids))
            if not kids:
                empty += 1
                continue
            try:
                os.kill(rng.choice(sorted(kids)), signal.SIGKILL)
                kills += 1
            except ProcessLookupError:
                empty += 1
        r.update(sessions_result(load, cfg.kill_s + 30))
        r["kills"], r["ticks_without_child"] = kills, empty
        r["live_children_mean"] = statistics.mean(live) if live else 0
        r["zombies"] = settle(m.pid)
    finally:
        r["alive"] = stop(m)
    r["throttles"] = win.count(r"bad command startup -- throttling")
    r["killed_lines"] = win.count(r"killed by signal 9")
    r["log_lines"] = win.count(r"^.+$")
    return r


def reload_storm(inst, which, cfg, rep):
    port = PORT["reload"]
    win = LogWindow(inst)
    m = start(inst, which, port)
    r = {}
    try:
        span = cfg.hups * cfg.hup_interval
        load = bload(cfg, "loop", port, span + 2, cfg.reload_clients, timeout=span + 40)
        time.sleep(1)  # the load is under way before the first signal
        sent = 0
        for _ in range(cfg.hups):
            if m.proc.poll() is not None:
                break
            os.kill(m.pid, signal.SIGHUP)
            sent += 1
            time.sleep(cfg.hup_interval)
        r.update(sessions_result(load, span + 40))
        r["hups"] = sent
        r["zombies"] = settle(m.pid)
    finally:
        r["alive"] = stop(m)
    r["reloads_logged"] = win.count(r"reload -- version")
    return r


def churn(inst, which, cfg, rep):
    port = PORT["churn"]
    m = start(inst, which, port)
    r = {}
    try:
        # warm-up: the first spawns load code and grow tables; measure from a warm master
        bench.bload(cfg.bin, "rate", port, 200, cfg.churn_clients)
        settle(m.pid, idle_ok=False)
        r["fds_before"], r["rss_before_kib"] = fd_count(m.pid), rss_kib(m.pid)[0]
        c0 = cpu_ns(m.pid)
        zmax = [0]
        done = threading.Event()

        def sample():
            while not done.wait(0.1):
                zmax[0] = max(zmax[0], len(zombies(m.pid)))
        t = threading.Thread(target=sample, daemon=True)
        t.start()
        t0 = time.monotonic()
        ok, failed, ns = bench.parse_counts(bench.bload(cfg.bin, "rate", port, cfg.spawns, cfg.churn_clients,
                                                        timeout=600))
        done.set()
        t.join()
        r["spawned_ok"], r["failed"], r["seconds"] = ok, failed, time.monotonic() - t0
        r["cpu_ms"] = (cpu_ns(m.pid) - c0) / 1e6
        r["zombies"] = settle(m.pid, idle_ok=False)
        r["zombies_max_sampled"] = zmax[0]
        # descriptors of children just reaped may still be closing: give it a bounded moment
        wait_until(lambda: fd_count(m.pid) <= r["fds_before"], 5)
        r["fds_after"], r["rss_after_kib"] = fd_count(m.pid), rss_kib(m.pid)[0]
    finally:
        r["alive"] = stop(m)
    return r


def status_command(inst):
    t0 = time.monotonic()
    p = subprocess.run([os.path.join(REPO, "master"), "-c", inst.conf, "status"], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, (time.monotonic() - t0) * 1000, p.stdout


def garbage(inst, which, cfg, rep):
    port = PORT["garbage"]
    win = LogWindow(inst)
    m = start(inst, which, port)
    r = {}
    seen = set()
    done = threading.Event()

    def sample():
        # every garbage child writes its garbage at start, whether or not it gets a client (the
        # TAKEN/AVAIL lies make the master spawn extra ones): count them all
        while not done.wait(0.01):
            seen.update(workers(m.pid))
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        c0 = cpu_ns(m.pid)
        lat = [int(x) for x in bench.bload(cfg.bin, "lat", port, cfg.garbage_children).split()]
        r["garbage_sessions_ok"] = sum(1 for x in lat if x > 0)
        settle(m.pid, idle_ok=False)
        r["cpu_ms"] = (cpu_ns(m.pid) - c0) / 1e6
        if which == "jmaster":
            rc, ms, out = status_command(inst)
            r["status_rc"], r["status_ms"] = rc, ms
            r["status_names_service"] = str(port) in out
        after = [int(x) for x in bench.bload(cfg.bin, "lat", port, 5).split()]
        r["served_after"] = sum(1 for x in after if x > 0)
        r["zombies"] = settle(m.pid, idle_ok=False)
    finally:
        done.set()
        t.join()
        r["alive"] = stop(m)
    r["garbage_children"] = len(seen)
    r["garbage_frames"] = len(seen) * cfg.garbage_frames
    text = win.text()
    r["log_lines"] = len(text.splitlines())
    r["log_bytes"] = len(text.encode())
    r["log_lines_per_1000_frames"] = r["log_lines"] / r["garbage_frames"] * 1000 if r["garbage_frames"] else 0
    return r


def broken_reload(inst, which, cfg, rep):
    port = PORT["broken"]
    cf = os.path.join(inst.conf, "master.cf")
    with open(cf, "w") as f:
        f.write(inst.good_master_cf)
    win = LogWindow(inst)
    m = start(inst, which, port)
    r = {}
    try:
        before = [int(x) for x in bench.bload(cfg.bin, "lat", port, 3).split()]
        r["served_before"] = sum(1 for x in before if x > 0)
        with open(cf, "a") as f:
            f.write(f"127.0.0.1:{port + 1} nosuchtype n - n - 1 {CHILD}\n")
        os.kill(m.pid, signal.SIGHUP)
        # jmaster logs the refusal; Postfix's master exits; either ends the wait
        wait_until(lambda: m.proc.poll() is not None or win.count(r"reload failed") > 0, 10)
        r["alive"] = m.proc.poll() is None
        r["exit_status"] = m.proc.returncode
        after = [int(x) for x in bench.bload(cfg.bin, "lat", port, 5).split()] if r["alive"] else []
        r["served_after"] = sum(1 for x in after if x > 0)
        if which == "jmaster" and r["alive"]:
            rc, _, _ = status_command(inst)
            r["status_rc"] = rc
        r["zombies"] = settle(m.pid) if r["alive"] else 0
    finally:
        stop(m)
        with open(cf, "w") as f:
            f.write(inst.good_master_cf)
    # the line naming the file and line (Postfix's master sends it to postlogd as it exits: it may be lost)
    said = re.findall(r"(?:fatal|warning): \S*master\.cf[:,] line \d+: .*", win.text())
    said += re.findall(r"(?:fatal|reload failed).*", win.text())
    r["log"] = said[0].replace(inst.conf + "/", "") if said else ""
    return r


def flood(inst, which, cfg, rep):
    port = PORT["flood"]
    m = start(inst, which, port)
    r = {}
    try:
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.wait(0.02):
                peak[0] = max(peak[0], len(workers(m.pid)))
        t = threading.Thread(target=sample, daemon=True)
        t.start()
        load = bload(cfg, "flood", port, cfg.flood_clients, cfg.flood_s, timeout=cfg.flood_s + 30)
        r.update(sessions_result(load, cfg.flood_s + 30))
        done.set()
        t.join()
        r["peak_children"] = peak[0]
        r["zombies"] = settle(m.pid)
    finally:
        r["alive"] = stop(m)
    return r


RUNNERS = {"kill": kill_storm, "reload": reload_storm, "churn": churn, "garbage": garbage,
           "broken": broken_reload, "flood": flood}


def master_cf(cfg):
    c = CHILD
    return {
        "kill": [f"127.0.0.1:{PORT['kill']} inet n - n - 20 {c} -o max_use={cfg.kill_max_use}"
                 + (f" delay={cfg.kill_delay_ms}" if cfg.kill_delay_ms else "")],
        "reload": [f"127.0.0.1:{PORT['reload']} inet n - n - 20 {c} -o max_use=100"],
        "churn": [f"127.0.0.1:{PORT['churn']} inet n - n - 10 {c} -o max_use=1 -o max_idle=2"],
        "garbage": [f"127.0.0.1:{PORT['garbage']} inet n - n - 4 {c} -o max_use=1 -o max_idle=2 "
                    f"garbage={cfg.garbage_frames}"],
        "broken": [f"127.0.0.1:{PORT['broken']} inet n - n - 4 {c} -o max_use=5"],
        "flood": [f"127.0.0.1:{PORT['flood']} inet n - n - 10 {c} -o max_use=5 delay={cfg.flood_delay_ms}"],
    }


# ---------------------------------------------------------------- report

def cell(rounds, key, fmt="{:,.0f}"):
    """The median over repetitions, with the range when there are several; text values side by side."""
    texts = [r[key] for r in rounds if isinstance(r.get(key), str)]
    if texts:
        return "; ".join(texts)
    vals = [r[key] for r in rounds if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
    if not vals:
        return "n/a"
    m = fmt.format(statistics.median(vals))
    if len(vals) > 1 and min(vals) != max(vals):
        m += f" ({fmt.format(min(vals))}–{fmt.format(max(vals))})"
    return m


def yesno(rounds, key):
    vals = [r.get(key) for r in rounds if key in r]
    if not vals:
        return "n/a"
    return "yes" if all(vals) else ("no" if not any(vals) else f"{sum(map(bool, vals))}/{len(vals)}")


def table(res):
    cfg = res["config"]
    out = [f"Run: {res['meta']['date']} · {res['meta']['machine']} · mode: {res['meta']['mode']}, "
           f"repetitions: kill storm {cfg['kill_reps']}, others {cfg['reps']} (A/B alternating) · "
           f"service_throttle_time = {cfg['throttle_time']} for both · shared machine", "",
           "| scenario | what | jmaster | Postfix |", "| --- | --- | ---: | ---: |"]

    def row(scn, label, key, fmt="{:,.0f}", kind="num"):
        j, p = res["rounds"][scn]["jmaster"], res["rounds"][scn]["postfix"]
        if not j and not p:
            return
        f = (lambda rs: yesno(rs, key)) if kind == "bool" else (lambda rs: cell(rs, key, fmt))
        out.append(f"| {scn} | {label} | {f(j) if j else 'not run'} | {f(p) if p else 'not run'} |")

    ks, kc = cfg["kill_s"], cfg["kill_clients"]
    row("kill", f"kills delivered ({ks:g} s, one every {cfg['kill_interval'] * 1000:g} ms; "
               f"maxproc 20, max_use {cfg['kill_max_use']}"
               + (f", {cfg['kill_delay_ms']} ms per session" if cfg["kill_delay_ms"] else "") + ")", "kills")
    row("kill", f"sessions served ({kc} clients in a loop)", "ok")
    row("kill", "sessions timed out (5 s)", "timeout")
    row("kill", "sessions refused", "refused")
    row("kill", "sessions reset (RST or end of file before the echo)", "reset")
    row("kill", "sessions failed otherwise", "other")
    row("kill", "throttle log lines", "throttles")
    row("kill", "mean live children at the kill ticks", "live_children_mean", "{:.1f}")
    row("kill", "master alive, no zombie", "healthy", kind="bool")
    row("reload", f"SIGHUPs sent ({cfg['hup_interval'] * 1000:g} ms apart) / reloads logged", "hups_logged", "{}")
    row("reload", f"sessions served ({cfg['reload_clients']} clients in a loop)", "ok")
    row("reload", "sessions failed (time-out, refused, reset, other)", "failed")
    row("reload", "master alive, no zombie", "healthy", kind="bool")
    row("churn", "one-shot children spawned / failed", "spawned_failed", "{}")
    row("churn", "master descriptors before → after", "fds", "{}")
    row("churn", "master RSS before → after (MiB)", "rss", "{}")
    row("churn", "zombies left after the churn (most seen at once while running)", "zombies_seen", "{}")
    row("churn", "master CPU for the churn (ms)", "cpu_ms")
    row("garbage", f"garbage frames written ({cfg['garbage_frames']:,} by each garbage child)", "garbage_frames")
    row("garbage", "master log lines (per 1,000 garbage frames)", "log_lines_per", "{}")
    row("garbage", "master CPU over the garbage (ms)", "cpu_ms")
    row("garbage", "`status` answers (ms)", "status", "{}")
    row("garbage", "master alive and serving afterwards", "healthy", kind="bool")
    row("broken", "master alive after SIGHUP with a broken master.cf", "alive", kind="bool")
    row("broken", "still serving the old table (of 5 sessions)", "served_after")
    row("broken", "what the log says", "log", "{}")
    row("flood", f"sessions served of {cfg['flood_clients']} at once (maxproc 10)", "ok")
    row("flood", "sessions timed out / refused / reset / other", "errors", "{}")
    row("flood", "slowest served session (s)", "maxs", "{:.2f}")
    row("flood", "most children at once", "peak_children")
    row("flood", "master alive, no zombie", "healthy", kind="bool")
    return "\n".join(out) + "\n"


def derive(scn, r):
    """Display fields computed from the raw ones."""
    if "zombies" in r or "alive" in r:
        r["healthy"] = bool(r.get("alive")) and r.get("zombies", 0) == 0
    if scn == "flood":
        r["errors"] = f"{r.get('timeout', 0)} / {r.get('refused', 0)} / {r.get('reset', 0)} / {r.get('other', 0)}"
        r["maxs"] = r.get("maxns", 0) / 1e9
    if scn == "reload":
        r["hups_logged"] = f"{r.get('hups')} / {r.get('reloads_logged')}"
    if scn == "churn":
        r["spawned_failed"] = f"{r.get('spawned_ok')} / {r.get('failed')}"
        r["fds"] = f"{r.get('fds_before')} → {r.get('fds_after')}"
        r["rss"] = f"{r.get('rss_before_kib', 0) / 1024:.1f} → {r.get('rss_after_kib', 0) / 1024:.1f}"
        r["zombies_seen"] = f"{r.get('zombies')} ({r.get('zombies_max_sampled')})"
    if scn == "garbage":
        r["log_lines_per"] = f"{r.get('log_lines'):,} ({r.get('log_lines_per_1000_frames', 0):.0f})"
        r["status"] = (f"rc {r['status_rc']} ({r['status_ms']:.0f} ms)" if "status_rc" in r else "n/a (no such command)")
        r["healthy"] = bool(r.get("alive")) and r.get("served_after") == 5 and r.get("zombies", 0) == 0
    if scn == "broken":
        r["log"] = "`" + r.get("log", "").replace("|", "\\|")[:140] + "`" if r.get("log") else "(nothing)"
    return r


def problems(res):
    """Invariants jmaster must keep whatever its policy: what makes the run fail."""
    bad = []
    for scn, per in res["rounds"].items():
        for r in per["jmaster"]:
            if not r.get("alive"):
                bad.append(f"{scn}: jmaster died")
            if r.get("zombies"):
                bad.append(f"{scn}: {r['zombies']} zombie(s) left")
            if scn == "reload" and r.get("failed"):
                bad.append(f"reload storm: {r['failed']} session(s) failed")
            if scn == "churn" and r.get("fds_after", 0) > r.get("fds_before", 0):
                bad.append(f"churn: descriptors {r['fds_before']} -> {r['fds_after']}")
            if scn == "garbage" and (r.get("status_rc") != 0 or r.get("served_after") != 5):
                bad.append(f"garbage: status rc {r.get('status_rc')}, served after {r.get('served_after')}/5")
            if scn == "broken" and r.get("served_after") != 5:
                bad.append(f"broken reload: served {r.get('served_after')}/5 afterwards")
    return bad


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="directory with bload and cchild")
    ap.add_argument("--short", action="store_true", help="every scenario briefly (about 2 minutes with Postfix)")
    ap.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios: " + ",".join(SCENARIOS))
    ap.add_argument("--masters", default=None, help="jmaster,postfix (default: both when Postfix is installed)")
    ap.add_argument("--reps", type=int, help="repetitions of every scenario but the kill storm (default 1)")
    ap.add_argument("--kill-reps", type=int, help="repetitions of the kill storm (default 5, short 1)")
    ap.add_argument("--kill-seconds", type=float, help="length of the kill storm (default 20, short 5)")
    ap.add_argument("--kill-max-use", type=int, default=5,
                    help="max_use of the kill storm's children (default 5; 0: they never retire)")
    ap.add_argument("--kill-delay-ms", type=int, default=0,
                    help="the kill storm's children wait this long before each greeting (default 0)")
    ap.add_argument("--throttle-time", default="5s", help="service_throttle_time for both masters (default 5s)")
    ap.add_argument("--out", default=os.path.join(REPO, "target", "bench", "chaos"))
    cfg = ap.parse_args()
    short = cfg.short
    cfg.reps = cfg.reps or 1
    cfg.kill_reps = cfg.kill_reps or (1 if short else 5)
    cfg.kill_s = cfg.kill_seconds or (5 if short else 20)
    cfg.kill_interval, cfg.kill_clients = 0.25, 8
    cfg.hups, cfg.hup_interval, cfg.reload_clients = (20 if short else 100), 0.1, 8
    cfg.spawns, cfg.churn_clients = (1000 if short else 10000), 4
    cfg.garbage_children, cfg.garbage_frames = (3, 1000) if short else (10, 10000)
    cfg.flood_clients, cfg.flood_s, cfg.flood_delay_ms = (100 if short else 200), 60, 50
    only = [s for s in cfg.only.split(",") if s]
    for s in only:
        if s not in SCENARIOS:
            sys.exit(f"chaos: unknown scenario {s}; known: {', '.join(SCENARIOS)}")
    have_postfix = os.access(os.path.join(bench.POSTFIX_DAEMONS, "master"), os.X_OK)
    masters = cfg.masters.split(",") if cfg.masters else (list(MASTERS) if have_postfix else ["jmaster"])
    if os.geteuid() != 0:
        sys.exit("chaos: run as root (Postfix's master is reserved for the superuser)")
    work = tempfile.mkdtemp(prefix="jmaster-chaos-", dir="/tmp")
    os.chmod(work, 0o755)
    daemons = os.path.join(work, "libexec")
    os.makedirs(daemons)
    shutil.copy(os.path.join(cfg.bin, CHILD), daemons)
    os.symlink(os.path.join(bench.POSTFIX_DAEMONS, "postlogd"), os.path.join(daemons, "postlogd"))
    cfs = master_cf(cfg)
    res = {"config": {k: v for k, v in vars(cfg).items() if k not in ("out", "bin")},
           "rounds": {s: {w: [] for w in MASTERS} for s in SCENARIOS}}
    started = time.monotonic()
    try:
        for scn in only:
            inst = chaos_instance(os.path.join(work, scn), daemons, cfs[scn], cfg)
            reps = cfg.kill_reps if scn == "kill" else cfg.reps
            for rep in range(reps):
                order = masters if rep % 2 == 0 else masters[::-1]
                for w in order:
                    log(f"chaos: {scn}: repetition {rep + 1}/{reps}, {w}")
                    r = derive(scn, RUNNERS[scn](inst, w, cfg, rep))
                    res["rounds"][scn][w].append(r)
                    log(f"chaos: {scn} {w}: " + ", ".join(f"{k} {v}" for k, v in r.items()
                                                          if not isinstance(v, str) or k == "log"))
    finally:
        if os.environ.get("BENCH_KEEP") is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"chaos: kept {work}")
    res["meta"] = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
                   "machine": f"{os.cpu_count()} cores, {bench.cpu_model()}, Linux {platform.release()}, "
                              f"{bench.java_version()}, Postfix {bench.postfix_version()}",
                   "mode": "short" if short else "long", "minutes": (time.monotonic() - started) / 60,
                   "command": "src/bench/run --chaos " + " ".join(sys.argv[3:] if sys.argv[1:3][:1] == ["--bin"]
                                                                  else sys.argv[1:])}
    os.makedirs(cfg.out, exist_ok=True)
    with open(os.path.join(cfg.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    md = table(res)
    with open(os.path.join(cfg.out, "results.md"), "w") as f:
        f.write(md)
    print(md)
    print(f"chaos: {res['meta']['minutes']:.1f} minutes; results in {cfg.out}")
    bad = problems(res)
    if bad:
        sys.exit("chaos: " + "; ".join(bad))


if __name__ == "__main__":
    main()
