#!/usr/bin/env python3
"""Spawn-to-first-accept latency of a bundled Java service under jmaster.

Starts ./master -d on a throw-away configuration with one service,
    127.0.0.1:PORT inet n - n - 1 <service> -o max_use=1
so that every connection finds no idle process and makes the master spawn a new one (the child
leaves after its one client). For each round it waits until the previous child is gone, connects,
and measures the time until the first byte the service sends (smtpd's 220 greeting). That time
is the master noticing the connection and spawning, the JVM starting, the runtime starting up,
the accept() and one write: an upper bound of spawn-to-accept as a client sees it.

    bench/spawn-to-accept.py [--rounds N] [--service smtpd|echo] [--no-aids]

--no-aids starts the services without their class-data-sharing archive and jffi stub
(JMASTER_SERVICE_AIDS=off, see services/.java-service). The JDK is JAVA_HOME's, else java on PATH,
for the master and the services alike.

Prints one line per round with -v, then median, p90, min and max in milliseconds.
"""
import argparse, os, shutil, socket, statistics, subprocess, sys, tempfile, time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def children(pid):
    out = []
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                with open('/proc/%s/stat' % d) as f:
                    if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=50)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--service', default='smtpd', choices=['smtpd', 'echo'])
    ap.add_argument('--no-aids', action='store_true')
    ap.add_argument('-v', action='store_true')
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='jmaster-bench.')
    os.chmod(tmp, 0o755)
    port = free_port()
    conf = os.path.join(tmp, 'conf')
    os.mkdir(conf)
    with open(os.path.join(conf, 'main.cf'), 'w') as f:
        f.write('\n'.join([
            'queue_directory = %s/queue' % tmp, 'data_directory = %s/data' % tmp,
            'inet_interfaces = 127.0.0.1', 'inet_protocols = ipv4', 'mail_owner = nobody',
            'maillog_file = %s/log' % tmp,
            # the services run on the master's JDK when JAVA_HOME says which
            'import_environment = MAIL_CONFIG MAIL_LOGTAG LANG=C JAVA_HOME JMASTER_SERVICE_AIDS', '']))
    with open(os.path.join(conf, 'master.cf'), 'w') as f:
        f.write('127.0.0.1:%d inet n - n - 1 %s -o max_use=1\n' % (port, a.service))
    env = dict(os.environ)
    if a.no_aids:
        env['JMASTER_SERVICE_AIDS'] = 'off'
    master = subprocess.Popen([os.path.join(REPO, 'master'), '-c', conf, '-d'], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        for i in range(a.warmup + a.rounds):
            while children(master.pid):
                time.sleep(0.01)
            t0 = time.perf_counter()
            s = socket.create_connection(('127.0.0.1', port), 10)
            s.settimeout(10)
            if a.service == 'echo':
                s.sendall(b'x')
            first = s.recv(1)
            t1 = time.perf_counter()
            if not first:
                raise SystemExit('the service closed without a byte')
            s.sendall(b'QUIT\r\n')
            s.close()
            ms = (t1 - t0) * 1000
            if i >= a.warmup:
                samples.append(ms)
                if a.v:
                    print('%3d %7.1f ms' % (i - a.warmup + 1, ms))
        # the memory of one process in the middle of a session
        while children(master.pid):
            time.sleep(0.01)
        s = socket.create_connection(('127.0.0.1', port), 10)
        s.settimeout(10)
        if a.service == 'echo':
            s.sendall(b'x')
        s.recv(1)
        kid = children(master.pid)[0]
        mem = {}
        with open('/proc/%d/smaps_rollup' % kid) as f:
            for line in f:
                parts = line.split()
                if parts[0] in ('Rss:', 'Pss:'):
                    mem[parts[0][:-1]] = int(parts[1]) / 1024
        s.close()
    finally:
        master.terminate()
        master.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)
    samples.sort()
    p90 = samples[min(len(samples) - 1, int(round(0.9 * len(samples))) - 1)]
    print('%s%s: %d rounds, median %.1f ms, p90 %.1f ms, min %.1f ms, max %.1f ms' % (
        a.service, ' (no aids)' if a.no_aids else '', len(samples), statistics.median(samples), p90,
        samples[0], samples[-1]))
    print('one process mid-session: RSS %.1f MiB, PSS %.1f MiB' % (mem['Rss'], mem['Pss']))


if __name__ == '__main__':
    main()
