package org.jmaster.supervisor;

import java.util.ArrayList;
import java.util.List;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.Protocol;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.conf.ServiceSettings;
import org.jmaster.nativ.Users;

/**
 * What a child inherits beyond its descriptor plan (rfork/sfork-style control per service): the
 * {@code -M user/group/groups/chroot/umask/nice/rlimit_*} attributes, and for children that do not
 * speak Postfix's protocol the unprivileged and chroot columns, which such children cannot apply
 * themselves. Names are resolved to numbers when a service is started or reloaded (an unknown user
 * or group is a configuration error with file and line; see {@link ChildIdentity}), and turned into
 * the arguments of {@code jmaster-exec}, the small exec step that does what {@code posix_spawn}
 * cannot. Immutable.
 *
 * @param fixedArgs    the {@code jmaster-exec} options that need nothing from main.cf
 * @param identity     who the child runs as
 * @param chrootColumn an inetd/systemd child with chroot {@code y} (and no {@code -M chroot}): the exec
 *                     step chroots it to {@code queue_directory}, as a Postfix daemon given
 *                     {@code -c} chroots itself
 * @param jailCwd      {@code -M cwd} inside that jail, or null
 * @param listenPid    systemd's LISTEN_PID
 */
record Inheritance(List<String> fixedArgs, ChildIdentity identity, boolean chrootColumn, String jailCwd,
                   boolean listenPid) {
    static final Inheritance NONE = new Inheritance(List.of(), null, false, null, false);

    /** Resolves the entry's settings; {@code listenPid} asks for systemd's LISTEN_PID. */
    static Inheritance of(ServiceEntry e, boolean listenPid) throws ConfigException {
        ServiceSettings.Exec x = e.settings().exec();
        List<String> args = new ArrayList<>();
        x.rlimits().forEach((res, v) -> {
            String n = v < 0 ? "infinity" : Long.toString(v);
            args.add("--rlimit");
            args.add(res + "=" + n + ":" + n);
        });
        x.nice().ifPresent(n -> {
            args.add("--nice");
            args.add(Integer.toString(n));
        });
        x.umask().ifPresent(m -> {
            args.add("--umask");
            args.add(Integer.toOctalString(m));
        });
        x.chroot().ifPresent(d -> {
            args.add("--chroot");
            args.add(d);
            x.cwd().ifPresent(c -> {
                args.add("--cwd");
                args.add(c);
            });
        });
        return new Inheritance(List.copyOf(args), ChildIdentity.of(e), chrootColumn(e), x.cwd().orElse(null),
                listenPid);
    }

    /** An inetd/systemd service whose chroot column says y and that names no directory of its own. */
    private static boolean chrootColumn(ServiceEntry e) {
        return e.chroot() && e.protocol() != Protocol.POSTFIX && e.settings().exec().chroot().isEmpty();
    }

    /** Whether a child needs {@code mail_owner}'s entry ({@link #shimArgs}) to start. */
    boolean needsMailOwner() {
        return identity != null && identity.needsMailOwner();
    }

    /**
     * The {@code jmaster-exec} options (empty: no exec step needed), given {@code mail_owner}'s
     * entry (null when the master is not root) and {@code queue_directory}.
     */
    List<String> shimArgs(Users.Passwd mailOwner, String queueDirectory) {
        List<String> args = new ArrayList<>(fixedArgs);
        if (chrootColumn) {
            args.add("--chroot");
            args.add(queueDirectory);
            if (jailCwd != null) {
                args.add("--cwd");
                args.add(jailCwd);
            }
        }
        if (identity != null) {
            args.addAll(identity.execArgs(mailOwner));
        }
        if (listenPid) {
            args.add("--listen-pid");
        }
        return args;
    }

    /** The working directory posix_spawn sets (cwd, unless the child is chrooted: then the exec step does it). */
    static String cwd(ServiceEntry e, String queueDirectory) {
        ServiceSettings.Exec x = e.settings().exec();
        return x.chroot().isPresent() || chrootColumn(e) ? queueDirectory : x.cwd().orElse(queueDirectory);
    }
}
