package org.jmaster.server;

import java.util.concurrent.Semaphore;
import org.jmaster.nativ.Fds;
import org.jmaster.nativ.NativeException;

/**
 * The lock that serialises {@code accept()} among the processes of one service (protocol doc
 * §3.12): an exclusive {@code flock} on {@code $queue_directory/pid/<type>.<service>}, held from
 * before a process watches the shared listeners until right after it accepted, so only one idle
 * process wakes up per connection. The file is opened before the process drops privileges.
 *
 * <p>Unlike Postfix, which waits for the lock in {@code flock(2)} and is deaf meanwhile, a helper
 * thread waits for it and writes a byte to a pipe when it has it; the serving thread polls that
 * pipe together with the status channel, its clients and its idle timer, so a process queued for
 * the lock still notices the master's end-of-file, its own idle time and, in a multi-server, its
 * clients. The helper owns only the blocking call; the serving thread owns the state.
 */
final class AcceptLock {
    private final int lockFd;
    private final int readyRead;
    private final int readyWrite;
    private final Semaphore requests = new Semaphore(0);
    private final byte[] drain = new byte[8];
    private boolean held;
    private boolean pending;

    private AcceptLock(int lockFd) {
        this.lockFd = lockFd;
        if (lockFd < 0) {
            readyRead = -1;
            readyWrite = -1;
            held = true;
            return;
        }
        int[] pipe = Fds.pipe(true);
        readyRead = pipe[0];
        readyWrite = pipe[1];
        Thread waiter = new Thread(this::waitForLocks, "accept-lock");
        waiter.setDaemon(true);
        waiter.start();
    }

    /** The lock file {@code path}, created with mode 0600 when missing. */
    static AcceptLock open(String path) {
        try {
            return new AcceptLock(Fds.open(path, Fds.O_RDWR | Fds.O_CREAT, 0600));
        } catch (NativeException e) {
            throw new ServerFatal("open lock file " + path + ": " + e.strerror());
        }
    }

    /** No lock: the service has one process ({@code -l}) or none is needed; always held. */
    static AcceptLock none() {
        return new AcceptLock(-1);
    }

    /** True while this process may watch the listeners. */
    boolean held() {
        return held;
    }

    /** Asks for the lock unless it is held or already asked for; then poll {@link #readyFd()}. */
    void request() {
        if (!held && !pending) {
            pending = true;
            requests.release();
        }
    }

    /** The descriptor that becomes readable when a requested lock is ours; -1 when none is pending. */
    int readyFd() {
        return pending ? readyRead : -1;
    }

    /** Call when {@link #readyFd()} is readable. */
    void onReady() {
        while (Fds.readNonBlocking(readyRead, drain, 0, drain.length) > 0) {
            // one byte per grant; there is at most one
        }
        pending = false;
        held = true;
    }

    /** Lets the next sibling watch the listeners. */
    void release() {
        if (held && lockFd >= 0) {
            held = false;
            Fds.flock(lockFd, Fds.LOCK_UN);
        }
    }

    private void waitForLocks() {
        for (;;) {
            requests.acquireUninterruptibly();
            Fds.flock(lockFd, Fds.LOCK_EX);
            Fds.writeQuietly(readyWrite, new byte[] {1});
        }
    }
}
