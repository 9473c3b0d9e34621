package org.jmaster.server;

import java.util.Arrays;
import org.jmaster.nativ.PollSet;

/**
 * The descriptors a skeleton waits on in one round, all for input: fill it with {@link #add},
 * {@link #poll}, then ask {@link #ready} per slot. Readiness includes hang-up and error, which a
 * read then reports. Reused round after round; grows as needed; one owner thread.
 */
final class ReadySet {
    private int[] fds = new int[8];
    private short[] events = new short[8];
    private short[] revents = new short[8];
    private int count;

    void clear() {
        count = 0;
    }

    /** Adds {@code fd} (ignored when negative) and returns its slot, or -1. */
    int add(int fd) {
        if (fd < 0) {
            return -1;
        }
        if (count == fds.length) {
            fds = Arrays.copyOf(fds, count * 2);
            events = Arrays.copyOf(events, count * 2);
            revents = Arrays.copyOf(revents, count * 2);
        }
        fds[count] = fd;
        events[count] = PollSet.POLLIN;
        revents[count] = 0;
        return count++;
    }

    /** Waits at most {@code timeoutMs} (-1: no limit); the number of ready slots (0 on timeout or a signal). */
    int poll(int timeoutMs) {
        return PollSet.pollFds(fds, events, revents, count, timeoutMs);
    }

    boolean ready(int slot) {
        return slot >= 0 && revents[slot] != 0;
    }

    int size() {
        return count;
    }

    int fd(int slot) {
        return fds[slot];
    }
}
