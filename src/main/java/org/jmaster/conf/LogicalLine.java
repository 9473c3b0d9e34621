package org.jmaster.conf;

/**
 * One logical line of main.cf or master.cf: the joined text of a line and its continuation
 * lines, numbered by its first physical line (1-based).
 */
public record LogicalLine(int line, String text) {}
