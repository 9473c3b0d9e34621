package org.jmaster.nativ;

import java.io.IOException;

/**
 * A libc call failed: carries the call's name, what it was applied to (a path, a pid; may be
 * empty) and the real {@code errno}. The message reads like a C program's {@code perror}:
 * {@code posix_spawn /usr/libexec/x: No such file or directory}.
 *
 * <p>This is the <em>checked</em> failure of the native layer, thrown where failure is an
 * ordinary outcome the caller must decide about (a path that does not exist, an address in use,
 * a program that cannot be executed). Failures that only a bug or descriptor exhaustion can cause
 * are thrown as {@link UncheckedNativeException}, which wraps one of these. The contract at the
 * top of each class of the package says which of its calls throw which.
 */
public class NativeException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final String subject;
    private final int errno;

    public NativeException(String call, String subject, int errno) {
        super(format(call, subject, errno));
        this.call = call;
        this.subject = subject == null ? "" : subject;
        this.errno = errno;
    }

    public NativeException(String call, int errno) {
        this(call, "", errno);
    }

    private static String format(String call, String subject, int errno) {
        String s = subject == null || subject.isEmpty() ? call : call + " " + subject;
        return s + ": " + Errno.strerror(errno);
    }

    /** The errno value, e.g. {@link Errno#ENOENT}. */
    public int errno() {
        return errno;
    }

    /** The C function that failed, e.g. {@code "posix_spawn"}. */
    public String call() {
        return call;
    }

    /** What the call was applied to (a path, an address, a pid), or empty. */
    public String subject() {
        return subject;
    }

    /** {@code strerror(errno())}, e.g. "No such file or directory". */
    public String strerror() {
        return Errno.strerror(errno);
    }
}
