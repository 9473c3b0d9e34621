package org.jmaster.server;

import java.util.Optional;
import org.jmaster.nativ.NativeException;
import org.jmaster.nativ.Users;
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
        boolean root = Users.geteuid() == 0;
        Users.Passwd owner = ctx.dropsTo().orElse(null);
        if (o.chroot()) {
            if (!root) {
                throw new ServerFatal("chroot " + ctx.queueDirectory() + ": needs the superuser (the chroot column of "
                        + ctx.serviceName() + " says y)");
            }
            try {
                Users.chroot(ctx.queueDirectory().toString());
                Users.chdir("/");
            } catch (NativeException e) {
                throw new ServerFatal(e.getMessage());
            }
            ctx.enterJail();
        }
        if (owner != null) {
            try {
                Users.setgroups(new int[] {owner.gid()});
                Users.setgid(owner.gid());
                Users.setuid(owner.uid());
            } catch (NativeException e) {
                throw new ServerFatal("drop privileges to " + owner.name() + ": " + e.getMessage());
            }
            if (Users.getuid() != owner.uid() || Users.geteuid() != owner.uid() || Users.getegid() != owner.gid()) {
                throw new ServerFatal("drop privileges to " + owner.name() + ": still uid " + Users.geteuid());
            }
        } else if (o.unprivileged() && log.isDebugEnabled()) {
            log.debug("not the superuser: running as uid {}", Users.geteuid());
        }
        if (Users.geteuid() == 0 && !hooks.runsAsRoot()) {
            throw new ServerFatal("refusing to run as the superuser: give service " + ctx.serviceName()
                    + " the unprivileged column y (or -) in master.cf");
        }
    }

    /** {@code mail_owner}'s entry; it must exist and must not be root. */
    static Users.Passwd mailOwner(ServerContext ctx) {
        String name = ctx.parameter("mail_owner");
        Optional<Users.Passwd> pw = Users.getpwnam(name);
        if (pw.isEmpty()) {
            throw new ServerFatal("parameter mail_owner: unknown user name value: " + name);
        }
        if (pw.get().uid() == 0) {
            throw new ServerFatal("parameter mail_owner: user " + name + " has privileged user ID: 0");
        }
        return pw.get();
    }
}
