package org.jmaster.nativ;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Run in a child JVM by {@link PrivilegeTest}: changes this process's identity or root with the
 * calls under test and prints what the kernel then says, one {@code key=value} per line.
 *
 * <p>Modes: {@code drop UID GID} (setgroups, setgid, setuid, then try to get root back);
 * {@code jail DIR} (chroot, chdir "/", look for DIR's marker file at the new root);
 * {@code refused UID} (as a non-root user: setuid and chroot must fail).
 */
public final class PrivilegeProbe {
    private PrivilegeProbe() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "drop": {
                int uid = Integer.parseInt(args[1]);
                int gid = Integer.parseInt(args[2]);
                // the class path may not be readable by the new user (a clone under a 0700 directory):
                // load what runs after the drop while still root
                attempt(() -> Users.chdir("/no/such/dir/before/the/drop"));
                status("Uid");
                Arrays.toString(TestNative.getgroups());
                Users.setgroups(new int[] {gid});
                Users.setgid(gid);
                Users.setuid(uid);
                System.out.println("ids=" + Users.getuid() + "," + Users.geteuid() + "," + Users.getgid() + ","
                        + Users.getegid());
                System.out.println("groups=" + Arrays.toString(TestNative.getgroups()));
                System.out.println("status=" + status("Uid") + "/" + status("Gid") + "/" + status("Groups"));
                System.out.println("back=" + attempt(() -> Users.setuid(0)));
                break;
            }
            case "jail": {
                // classes load from the class path, which is outside the jail: load what we need first
                attempt(() -> Users.chdir("/no/such/dir/before/the/jail"));
                Users.chroot(args[1]);
                Users.chdir("/");
                System.out.println("marker=" + Files.exists(Path.of("/marker")));
                System.out.println("cwd=" + Files.exists(Path.of("marker")));
                System.out.println("outside=" + Files.exists(Path.of(args[1], "marker")));
                System.out.println("chdir=" + attempt(() -> Users.chdir("/no/such/dir")));
                break;
            }
            case "refused": {
                System.out.println("setuid=" + attempt(() -> Users.setuid(Integer.parseInt(args[1]))));
                System.out.println("chroot=" + attempt(() -> Users.chroot("/")));
                System.out.println("setgroups=" + attempt(() -> Users.setgroups(new int[0])));
                break;
            }
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }

    private interface Call {
        void run() throws NativeException;
    }

    private static String attempt(Call c) {
        try {
            c.run();
            return "ok";
        } catch (NativeException e) {
            return e.getMessage();
        }
    }

    private static String status(String field) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim().replaceAll("\\s+", " ");
            }
        }
        return "?";
    }
}
