package org.jmaster.control;

import java.io.IOException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.PrivateListener;
import org.jmaster.nativ.Sockets;
import org.jmaster.nativ.Users;

/**
 * Who may use a privileged endpoint of the master (the control socket, a unix-domain metrics
 * socket), judged by the credentials the kernel recorded when the peer connected:
 * <ul>
 * <li>uid 0, or the master's own effective uid: always;
 * <li>with {@code master_control_group} set: a peer whose effective gid ({@code SO_PEERCRED}) is
 *     that group, or that has the group among its supplementary groups ({@code SO_PEERGROUPS}) —
 *     the same test the kernel applies to the socket file's 0660 mode at connect(2). On a kernel
 *     without {@code SO_PEERGROUPS} (before Linux 4.13) the group's member list, as the group
 *     database had it when the master started, stands in for the supplementary groups;
 * <li>nobody else.
 * </ul>
 * The database is read once, at start-up: checking a connection never waits for a name service.
 */
final class PeerRule {
    private final String group;
    private final int gid;
    private final Set<Integer> memberUids;
    private final int masterUid = Users.geteuid();

    private PeerRule(String group, int gid, Set<Integer> memberUids) {
        this.group = group;
        this.gid = gid;
        this.memberUids = memberUids;
    }

    /** The rule for {@code master_control_group} = {@code group} (empty: root and the master's user only). */
    static PeerRule forGroup(String group) throws IOException {
        if (group.isEmpty()) {
            return new PeerRule("", -1, Set.of());
        }
        Optional<Users.Group> g = Users.getgrnam(group);
        if (g.isEmpty()) {
            throw new IOException("master_control_group: unknown group \"" + group + "\"");
        }
        Set<Integer> uids = new HashSet<>();
        for (String member : g.get().members()) {
            try {
                Users.getpwnam(member).ifPresent(p -> uids.add(p.uid()));
            } catch (RuntimeException e) {
                // a member the user database cannot resolve grants nothing
            }
        }
        return new PeerRule(group, g.get().gid(), Set.copyOf(uids));
    }

    /** The group the socket file belongs to, or -1 for the master's own. */
    int gid() {
        return gid;
    }

    /** The socket file's mode: 0600, or 0660 when a group may use it. */
    int mode() {
        return gid >= 0 ? 0660 : 0600;
    }

    /** Null when the peer of the connected socket {@code fd} may use the endpoint; otherwise why not. */
    String refusal(int fd) {
        Sockets.PeerCred cred;
        try {
            cred = Sockets.getsockoptPeercred(fd);
        } catch (NativeException e) {
            return "no peer credentials (" + e.strerror() + ")";
        }
        if (cred.uid() == 0 || cred.uid() == masterUid) {
            return null;
        }
        if (gid >= 0 && inGroup(fd, cred)) {
            return null;
        }
        return "uid " + cred.uid() + " (pid " + cred.pid() + ") is not root"
                + (gid >= 0 ? " and not in master_control_group " + group : " and master_control_group is not set");
    }

    private boolean inGroup(int fd, Sockets.PeerCred cred) {
        if (cred.gid() == gid) {
            return true;
        }
        int[] groups;
        try {
            groups = PrivateListener.peerGroups(fd);
        } catch (NativeException e) {
            return false;
        }
        if (groups == null) {
            return memberUids.contains(cred.uid());
        }
        for (int g : groups) {
            if (g == gid) {
                return true;
            }
        }
        return false;
    }
}
