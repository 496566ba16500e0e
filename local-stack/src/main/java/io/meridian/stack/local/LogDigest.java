package io.meridian.stack.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import io.meridian.stack.process.ManagedProcess;

/**
 * What to show of a child's log when it failed: its root cause (the last {@code Caused by:} line of
 * a Java stack trace, or Spring Boot's failure description) and its last lines, without the
 * per-class noise a JVM recording a class cache writes.
 */
final class LogDigest {

    private static final Pattern NOISE = Pattern.compile("^\\[[0-9.]+s\\]\\[(warning|info)\\]\\[(aot|cds)[^]]*\\].*");
    private static final int SCAN_LINES = 2000;

    private LogDigest() {
    }

    /** The root cause, if the log has one, and the last {@code lines} lines that are not noise. */
    static String of(Path log, int lines) {
        List<String> all = new ArrayList<>(Arrays.asList(ManagedProcess.tail(log, SCAN_LINES).split("\n")));
        all.removeIf(line -> NOISE.matcher(line).matches());
        String cause = null;
        for (int i = all.size() - 1; i >= 0 && cause == null; i--) {
            String line = all.get(i).strip();
            if (line.startsWith("Caused by:") || line.startsWith("Description:")) {
                cause = line.startsWith("Description:") && i + 2 < all.size() ? all.get(i + 2).strip() : line;
            }
        }
        List<String> tail = all.subList(Math.max(0, all.size() - lines), all.size());
        return (cause == null ? "" : "root cause: " + cause + "\n") + "last lines of " + log + ":\n" + String.join("\n", tail);
    }
}
