package org.jmaster.server;

import java.util.Optional;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jail and the identity of a service process, in Postfix's order: look up {@code mail_owner}
 * (the jail has no user database), chroot to {@code queue_directory} ({@code -c}), then drop to
 * {@code mail_owner}'s groups, gid and uid ({@code -u}), for good. Afterwards a process still
 * running as root must have declared that it needs to ({@link ServiceHooks#runsAsRoot()}).
 *
 * <p>Without root, {@code -c} is refused (the master refuses it too), and {@code -u} leaves the
 * process as the user it already is: that user is as unprivileged as it gets.
 */
final class Privileges {
    private static final Logger log = LoggerFactory.getLogger(Privileges.class);

    private Privileges() {}

    static void enter(ServerContext ctx, ServiceHooks hooks) {
        ServerOptions o = ctx.options();
        if (hooks.runsAsRoot() && o.unprivileged()) {
            throw new ServerFatal("service " + ctx.serviceName() + " requires privileged operation");
        }
        boolean root = Posix.geteuid() == 0;
        Posix.Passwd owner = ctx.dropsTo().orElse(null);
        if (o.chroot()) {
            if (!root) {
                throw new ServerFatal("chroot " + ctx.queueDirectory() + ": needs the superuser (the chroot column of "
                        + ctx.serviceName() + " says y)");
            }
            try {
                Posix.chroot(ctx.queueDirectory().toString());
                Posix.chdir("/");
            } catch (NativeException e) {
                throw new ServerFatal(e.getMessage());
            }
            ctx.enterJail();
        }
        if (owner != null) {
            try {
                Posix.setgroups(new int[] {owner.gid()});
                Posix.setgid(owner.gid());
                Posix.setuid(owner.uid());
            } catch (NativeException e) {
                throw new ServerFatal("drop privileges to " + owner.name() + ": " + e.getMessage());
            }
            if (Posix.getuid() != owner.uid() || Posix.geteuid() != owner.uid() || Posix.getegid() != owner.gid()) {
                throw new ServerFatal("drop privileges to " + owner.name() + ": still uid " + Posix.geteuid());
            }
        } else if (o.unprivileged() && log.isDebugEnabled()) {
            log.debug("not the superuser: running as uid {}", Posix.geteuid());
        }
        if (Posix.geteuid() == 0 && !hooks.runsAsRoot()) {
            throw new ServerFatal("refusing to run as the superuser: give service " + ctx.serviceName()
                    + " the unprivileged column y (or -) in master.cf");
        }
    }

    /** {@code mail_owner}'s entry; it must exist and must not be root. */
    static Posix.Passwd mailOwner(ServerContext ctx) {
        String name = ctx.parameter("mail_owner");
        Optional<Posix.Passwd> pw = Posix.getpwnam(name);
        if (pw.isEmpty()) {
            throw new ServerFatal("parameter mail_owner: unknown user name value: " + name);
        }
        if (pw.get().uid() == 0) {
            throw new ServerFatal("parameter mail_owner: user " + name + " has privileged user ID: 0");
        }
        return pw.get();
    }
}
