package org.jmaster.cli;

/** Entry point of the master command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(0);
    }
}
