package org.jmaster.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jmaster.conf.ConfigError;
import org.jmaster.conf.ConfigException;
import org.jmaster.conf.ServiceAttributes;
import org.jmaster.conf.ServiceEntry;
import org.jmaster.nativ.Posix;

/**
 * What a child inherits beyond its descriptor plan (rfork/sfork-style control per service): the
 * {@code -M user/group/groups/chroot/umask/nice/rlimit_*} attributes, resolved to numbers when a
 * service is started or reloaded (an unknown user or group is a configuration error with file and
 * line), and turned into the arguments of {@code jmaster-exec}, the small exec step that does what
 * {@code posix_spawn} cannot. Immutable.
 *
 * @param shimArgs the {@code jmaster-exec} options (empty: no exec step needed)
 */
record Inheritance(List<String> shimArgs) {
    static final Inheritance NONE = new Inheritance(List.of());

    /** Resolves the entry's attributes; {@code listenPid} asks for systemd's LISTEN_PID. */
    static Inheritance of(ServiceEntry e, boolean listenPid) throws ConfigException {
        ServiceAttributes a = e.attributes();
        List<String> args = new ArrayList<>();
        for (String res : List.of("nofile", "nproc", "as", "core")) {
            Optional<Long> v = a.getLimit("rlimit_" + res);
            if (v.isPresent()) {
                String n = v.get() < 0 ? "infinity" : Long.toString(v.get());
                args.add("--rlimit");
                args.add(res + "=" + n + ":" + n);
            }
        }
        a.getInt("nice").ifPresent(n -> {
            args.add("--nice");
            args.add(Integer.toString(n));
        });
        a.umask().ifPresent(m -> {
            args.add("--umask");
            args.add(Integer.toOctalString(m));
        });
        a.get("chroot").ifPresent(d -> {
            args.add("--chroot");
            args.add(d);
            a.get("cwd").ifPresent(c -> {
                args.add("--cwd");
                args.add(c);
            });
        });
        Optional<Posix.Passwd> user = Optional.empty();
        if (a.get("user").isPresent()) {
            String name = a.get("user").get();
            user = name.matches("\\d+") ? Optional.of(new Posix.Passwd(name, Integer.parseInt(name),
                    -1, "/", "")) : Posix.getpwnam(name);
            if (user.isEmpty()) {
                throw error(e, "attribute \"user\": unknown user \"" + name + "\"");
            }
        }
        List<String> groups = a.getList("groups");
        if (!groups.isEmpty()) {
            List<String> gids = new ArrayList<>();
            for (String g : groups) {
                gids.add(Integer.toString(gid(e, "groups", g)));
            }
            args.add("--groups");
            args.add(String.join(",", gids));
        }
        int gid = -1;
        if (a.get("group").isPresent()) {
            gid = gid(e, "group", a.get("group").get());
        } else if (user.isPresent() && user.get().gid() >= 0) {
            gid = user.get().gid();
        }
        if (gid >= 0) {
            args.add("--gid");
            args.add(Integer.toString(gid));
        }
        if (user.isPresent()) {
            args.add("--uid");
            args.add(Integer.toString(user.get().uid()));
        }
        if (listenPid) {
            args.add("--listen-pid");
        }
        return args.isEmpty() ? NONE : new Inheritance(List.copyOf(args));
    }

    private static int gid(ServiceEntry e, String attribute, String name) throws ConfigException {
        if (name.matches("\\d+")) {
            return Integer.parseInt(name);
        }
        return Posix.getgrnam(name).map(Posix.Group::gid)
                .orElseThrow(() -> error(e, "attribute \"" + attribute + "\": unknown group \"" + name + "\""));
    }

    private static ConfigException error(ServiceEntry e, String text) {
        return new ConfigException(new ConfigError(e.file(), e.line(), text));
    }

    /** The working directory posix_spawn sets (cwd, unless chroot is set: then the exec step does it). */
    static String cwd(ServiceEntry e, String queueDirectory) {
        ServiceAttributes a = e.attributes();
        return a.get("chroot").isPresent() ? queueDirectory : a.get("cwd").orElse(queueDirectory);
    }

    /** {@code -M env=}: variables added after import_environment. */
    static Map<String, String> extraEnvironment(ServiceEntry e) {
        return e.attributes().env();
    }
}
