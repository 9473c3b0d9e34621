package org.jmaster.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.Protocol;
import org.jmaster.conf.ServiceSettings;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.nativ.Users;

/**
 * Who a child runs as: its uid, primary gid and supplementary groups, and who changes them.
 *
 * <ul>
 * <li>A Postfix-protocol child starts as the master's user and, told {@code -u} by the unprivileged
 * column, drops to {@code mail_owner} itself (Postfix's {@code set_ugid}).
 * <li>inetd- and systemd-protocol children never do, so the master does it for them in the exec step
 * ({@code jmaster-exec}): unprivileged {@code y} runs them as {@code mail_owner} with its gid and no
 * supplementary group but that gid; {@code n} keeps root.
 * <li>{@code -M user} overrides the column for every protocol; {@code -M group} replaces the primary
 * group of whichever user the child runs as, {@code -M groups} its supplementary groups (without it:
 * none but the primary group). A numeric {@code -M user} takes the gid of its passwd entry; without an
 * entry, {@code -M group} is required.
 * </ul>
 *
 * Names are resolved when a service is started or reloaded ({@link #of}: an unknown one is a
 * configuration error with file and line); {@code mail_owner} when a child is spawned, by the caller.
 * A master that is not root changes nothing for {@code mail_owner}: its children run as its own user.
 * Immutable.
 */
public final class ChildIdentity {
    /** {@code -M user}: its entry (gid -1 when a numeric user has none), or null. */
    private final Users.Passwd user;
    /** {@code -M group}, or -1. */
    private final int group;
    /** {@code -M groups}, or null when not given. */
    private final List<Integer> groups;
    /** The master drops the child to {@code mail_owner} (inetd/systemd, unprivileged, no -M user). */
    private final boolean dropsToMailOwner;
    /** A Postfix-protocol child given {@code -u}: it drops to {@code mail_owner} itself. */
    private final boolean dropsItself;

    private ChildIdentity(Users.Passwd user, int group, List<Integer> groups, boolean dropsToMailOwner,
                          boolean dropsItself) {
        this.user = user;
        this.group = group;
        this.groups = groups;
        this.dropsToMailOwner = dropsToMailOwner;
        this.dropsItself = dropsItself;
    }

    /** The numbers a child gets: {@code uid}/{@code gid} -1 and {@code groups} null mean "the master's". */
    public record Ids(int uid, String userName, int gid, List<Integer> groups) {
        static final Ids UNCHANGED = new Ids(-1, null, -1, null);

        /** {@code uid=102(postfix) gid=105 groups=105}, or {@code the master's user} when nothing changes. */
        public String describe() {
            if (uid < 0 && gid < 0 && groups == null) {
                return "the master's user";
            }
            List<String> parts = new ArrayList<>();
            if (uid >= 0) {
                parts.add("uid=" + Integer.toUnsignedString(uid) + (userName != null ? "(" + userName + ")" : ""));
            }
            if (gid >= 0) {
                parts.add("gid=" + Integer.toUnsignedString(gid));
            }
            if (groups != null) {
                parts.add("groups=" + String.join(",", groups.stream().map(Integer::toUnsignedString).toList()));
            }
            return String.join(" ", parts);
        }
    }

    /** Resolves {@code -M user/group/groups} of {@code e}; unknown names are errors with file and line. */
    public static ChildIdentity of(ServiceEntry e) throws ConfigException {
        ServiceSettings.Exec a = e.settings().exec();
        Users.Passwd user = null;
        Optional<String> userName = a.user();
        if (userName.isPresent()) {
            String name = userName.get();
            if (isNumber(name)) {
                int uid = Integer.parseInt(name);
                // a numeric user still has its passwd entry's group; one without an entry needs -M group
                user = Users.getpwuid(uid).map(p -> new Users.Passwd(p.name(), uid, p.gid(), p.home(), p.shell()))
                        .orElse(new Users.Passwd(null, uid, -1, "/", ""));
                if (user.gid() < 0 && a.group().isEmpty()) {
                    throw error(e, "attribute \"user\": user ID " + name
                            + " has no passwd entry: give its group with -M group=");
                }
            } else {
                user = Users.getpwnam(name)
                        .orElseThrow(() -> error(e, "attribute \"user\": unknown user \"" + name + "\""));
            }
        }
        int group = a.group().isPresent() ? gid(e, "group", a.group().get()) : -1;
        List<Integer> groups = null;
        if (a.groups().isPresent()) {
            groups = new ArrayList<>();
            for (String g : a.groups().get()) {
                groups.add(gid(e, "groups", g));
            }
            groups = List.copyOf(groups);
        }
        boolean postfix = e.protocol() == Protocol.POSTFIX;
        return new ChildIdentity(user, group, groups, !postfix && e.unprivileged() && user == null,
                postfix && e.unprivileged() && user == null);
    }

    /** Whether the master must look up {@code mail_owner} to start this child. */
    public boolean needsMailOwner() {
        return dropsToMailOwner;
    }

    /**
     * What the exec step sets, given {@code mail_owner}'s entry (null when the master is not root:
     * then it changes no one into {@code mail_owner}).
     */
    public Ids ids(Users.Passwd mailOwner) {
        Users.Passwd who = user != null ? user : dropsToMailOwner ? mailOwner : null;
        if (who == null) {
            return group < 0 && groups == null ? Ids.UNCHANGED : new Ids(-1, null, group, groups);
        }
        int gid = group >= 0 ? group : who.gid();
        return new Ids(who.uid(), who.name(), gid, groups != null ? groups : List.of(gid));
    }

    /**
     * The {@code jmaster-exec} options ({@code --groups}, {@code --gid}, {@code --uid}) for
     * {@link #ids}; {@code --groups} only when {@code -M groups} says so (the exec step itself
     * sets none but the gid when it changes the user as root).
     */
    List<String> execArgs(Users.Passwd mailOwner) {
        Ids ids = ids(mailOwner);
        List<String> args = new ArrayList<>();
        if (groups != null) {
            args.add("--groups");
            args.add(String.join(",", groups.stream().map(Integer::toUnsignedString).toList()));
        }
        if (ids.gid() >= 0) {
            args.add("--gid");
            args.add(Integer.toUnsignedString(ids.gid()));
        }
        if (ids.uid() >= 0) {
            args.add("--uid");
            args.add(Integer.toUnsignedString(ids.uid()));
        }
        return args;
    }

    /**
     * For {@code --check}: who the child runs as, {@code root} is whether the master would be;
     * {@code mailOwner} is {@code mail_owner}'s entry (null when it has none).
     */
    public String describe(Users.Passwd mailOwner, boolean root) {
        if (dropsItself) {
            return mailOwner == null || !root ? "the master's user (-u)"
                    : new Ids(mailOwner.uid(), mailOwner.name(), mailOwner.gid(), List.of(mailOwner.gid())).describe()
                            + " (-u: the daemon drops itself)";
        }
        if (user == null && !dropsToMailOwner && root) {
            Ids ids = ids(null);
            return ids == Ids.UNCHANGED ? "uid=0(root)" : "uid=0(root) " + ids.describe();
        }
        return ids(root ? mailOwner : null).describe();
    }

    /**
     * {@code mail_owner}'s entry, checked as Postfix checks it: it exists and is not root; otherwise
     * the problem, in Postfix's words.
     */
    public static Users.Passwd mailOwner(String name) throws IllegalArgumentException {
        Users.Passwd pw = Users.getpwnam(name).orElseThrow(() -> new IllegalArgumentException(
                "parameter mail_owner: unknown user name value: " + name));
        if (pw.uid() == 0) {
            throw new IllegalArgumentException("parameter mail_owner: user " + name + " has privileged user ID: 0");
        }
        return pw;
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static int gid(ServiceEntry e, String attribute, String name) throws ConfigException {
        if (isNumber(name)) {
            return Integer.parseInt(name);
        }
        return Users.getgrnam(name).map(Users.Group::gid)
                .orElseThrow(() -> error(e, "attribute \"" + attribute + "\": unknown group \"" + name + "\""));
    }

    private static ConfigException error(ServiceEntry e, String text) {
        return new ConfigException(new ConfigError(e.file(), e.line(), text));
    }
}
