/**
 * The native layer: the only package that touches jnr. It offers small typed calls on raw
 * descriptors, one class per concern, each with its own narrow jnr-ffi binding that is generated
 * the first time the concern is used: descriptors and locks ({@link org.jmaster.nativ.Fds}), what a
 * file is ({@link org.jmaster.nativ.Inodes}), processes and pidfds
 * ({@link org.jmaster.nativ.Processes}), signals ({@link org.jmaster.nativ.Signals}), child
 * creation with an exact descriptor plan ({@link org.jmaster.nativ.Spawn},
 * {@link org.jmaster.nativ.SpawnPlan}), sockets ({@link org.jmaster.nativ.Sockets},
 * {@link org.jmaster.nativ.FdPassing}), users and privileges ({@link org.jmaster.nativ.Users}),
 * poll ({@link org.jmaster.nativ.PollSet}), root-safe files and endpoints
 * ({@link org.jmaster.nativ.SafeFiles}, {@link org.jmaster.nativ.LocalEndpoints},
 * {@link org.jmaster.nativ.PrivateListener}), errno texts ({@link org.jmaster.nativ.Errno}).
 *
 * <p>Each class opens with its contract: what it promises (every descriptor close-on-exec, EINTR
 * retried, non-blocking outcomes as values), how it fails, and what it does to other threads.
 * Struct layouts for x86_64 and aarch64 Linux/glibc live in one class ({@code Abi}). Failures carry
 * the real errno: checked {@link org.jmaster.nativ.NativeException} where the caller must expect
 * them, {@link org.jmaster.nativ.UncheckedNativeException} where only a bug or exhaustion explains
 * them.
 */
package org.jmaster.nativ;
