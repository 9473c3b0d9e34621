package org.jmaster.supervisor;

import java.io.UncheckedIOException;

/**
 * What a containment boundary of the loop (a handler, a timer, a spawn, a reload) may catch and
 * survive, and how it names what it caught in one log line. Exceptions are survivable by definition;
 * of the errors, {@link OutOfMemoryError} (the failed allocation is garbage the moment the boundary
 * is left) and {@link StackOverflowError} (the stack unwinds to the boundary) are too, and so is a
 * {@link LinkageError} or {@link AssertionError} from one code path. The other
 * {@link VirtualMachineError}s ({@link InternalError}, {@link UnknownError}) mean the JVM itself is
 * broken: they are not contained.
 */
final class Failure {
    private Failure() {}

    static boolean containable(Throwable t) {
        return !(t instanceof VirtualMachineError) || t instanceof OutOfMemoryError || t instanceof StackOverflowError;
    }

    /** Rethrows {@code t} unless {@link #containable}; errors and unchecked exceptions as they are. */
    static void rethrowIfFatal(Throwable t) {
        if (!containable(t)) {
            throw (Error) t;
        }
    }

    /** One line: the native call and its error for native failures, the class and message otherwise. */
    static String describe(Throwable t) {
        if (t instanceof UncheckedIOException && t.getMessage() != null) {
            return t.getMessage();
        }
        return t.toString();
    }
}
