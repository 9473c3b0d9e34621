package org.jmaster.nativ;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * Run in a child JVM by {@link SignalResetTest}, started with SIGHUP ignored (as under nohup):
 * reports whether a sun.misc.Signal handler for HUP receives a HUP, with or without
 * {@link Signals#resetToDefault} first; then tries setsid twice.
 */
public final class SignalProbe {
    private SignalProbe() {}

    public static void main(String[] args) throws Exception {
        boolean reset = args.length > 0 && args[0].equals("reset");
        boolean ignoredAtStart = Signals.isIgnored(Signals.SIGHUP);
        boolean changed = reset && Signals.resetToDefault(Signals.SIGHUP);
        CountDownLatch got = new CountDownLatch(1);
        Signal.handle(new Signal(Signals.name(Signals.SIGHUP)), s -> got.countDown());
        Processes.kill(Processes.getpid(), Signals.SIGHUP);
        // without the reset the handler never runs: wait less for what does not come
        boolean delivered = got.await(reset ? 5000 : 500, TimeUnit.MILLISECONDS);
        StringBuilder setsid = new StringBuilder();
        try {
            setsid.append(TestNative.setsid() == Processes.getpid() ? "leader" : "not-leader");
        } catch (NativeException e) {
            setsid.append(e.getMessage());
        }
        try {
            TestNative.setsid();
            setsid.append(",again-ok");
        } catch (NativeException e) {
            setsid.append(",again:").append(e.getMessage());
        }
        System.out.println("ignoredAtStart=" + ignoredAtStart + " changed=" + changed + " delivered=" + delivered
                + " setsid=" + setsid);
    }
}
