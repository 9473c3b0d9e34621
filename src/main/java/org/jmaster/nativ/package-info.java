/**
 * The native layer: the only package that touches jnr. It offers small typed calls on raw
 * descriptors ({@link org.jmaster.nativ.Posix}), child creation with an exact descriptor plan
 * ({@link org.jmaster.nativ.SpawnPlan}, {@link org.jmaster.nativ.Posix#spawn}), pidfd reaping
 * ({@link org.jmaster.nativ.ExitStatus}), an allocation-free poll set
 * ({@link org.jmaster.nativ.PollSet}) and signal numbers ({@link org.jmaster.nativ.Signals}).
 *
 * <p>The C library is bound once, lazily, through one narrow jnr-ffi interface with
 * primitive-only signatures; struct layouts for x86_64 and aarch64 Linux/glibc live in one class.
 * Failures carry the real errno: checked {@link org.jmaster.nativ.NativeException} where the
 * caller must expect them, {@link org.jmaster.nativ.UncheckedNativeException} where only a bug or
 * exhaustion explains them.
 */
package org.jmaster.nativ;
