package org.jmaster.nativ;

import java.io.UncheckedIOException;

/**
 * A libc call failed in a way only a bug or resource exhaustion explains (EBADF, EINVAL, EMFILE
 * from {@code pipe2}, ECHILD from {@code waitid} on our own pidfd): the unchecked twin of
 * {@link NativeException}, which it wraps. Postfix's master would {@code msg_fatal} here.
 */
public class UncheckedNativeException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    public UncheckedNativeException(NativeException cause) {
        super(cause.getMessage(), cause);
    }

    public UncheckedNativeException(String call, String subject, int errno) {
        this(new NativeException(call, subject, errno));
    }

    @Override
    public synchronized NativeException getCause() {
        return (NativeException) super.getCause();
    }

    public int errno() {
        return getCause().errno();
    }

    public String strerror() {
        return getCause().strerror();
    }
}
