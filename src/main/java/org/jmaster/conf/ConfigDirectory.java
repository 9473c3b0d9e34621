package org.jmaster.conf;

/**
 * Where the configuration ({@code main.cf}, {@code master.cf}) is, for the master and for the
 * Java services alike: {@code MAIL_CONFIG} when it is set and not empty, else {@link #DEFAULT}.
 * The master's {@code -c} comes before both.
 */
public final class ConfigDirectory {
    /** Where the configuration lives when neither {@code -c} nor {@code MAIL_CONFIG} says. */
    public static final String DEFAULT = "/etc/jmaster";

    private ConfigDirectory() {}

    /** The directory {@code MAIL_CONFIG} names ({@code mailConfig}, null when unset), else {@link #DEFAULT}. */
    public static String fromMailConfig(String mailConfig) {
        return mailConfig == null || mailConfig.isEmpty() ? DEFAULT : mailConfig;
    }
}
