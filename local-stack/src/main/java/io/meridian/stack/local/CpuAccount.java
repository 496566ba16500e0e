package io.meridian.stack.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.OptionalLong;

/**
 * CPU time from Linux's {@code /proc}, so the launcher can say how much of the machine the start took and how busy
 * the machine was meanwhile: on two cores a start time says little without it. Reads only; on a system without
 * {@code /proc} every figure is absent.
 */
final class CpuAccount {

    /** Clock ticks per second of {@code /proc} times ({@code USER_HZ}); 100 on every Linux architecture in use. */
    private static final double TICKS_PER_SECOND = 100.0;

    private CpuAccount() {
    }

    /** Machine-wide busy and total ticks (all cores) from the first line of {@code /proc/stat}. */
    record Machine(long busyTicks, long totalTicks) {

        /** The share of all cores busy between {@code earlier} and this reading, 0-1, or -1 when unknown. */
        double busySince(Machine earlier) {
            long total = totalTicks - earlier.totalTicks;
            return total <= 0 ? -1 : (double) (busyTicks - earlier.busyTicks) / total;
        }
    }

    /** The machine's counters now, or {@code null} without {@code /proc/stat}. */
    static Machine machine() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0); // idle + iowait
            return new Machine(total - idle, total);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * CPU ticks used so far by {@code pid} itself, if it still runs. Children are left out: the launcher's pid is the
     * {@code ./stack} script's, whose build ran as its child.
     */
    static OptionalLong ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name may hold spaces and parentheses: the fields start after the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // fields 14 and 15 of proc(5) (utime, stime) are 11 and 12 here
            return OptionalLong.of(Long.parseLong(f[11]) + Long.parseLong(f[12]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /** CPU seconds used by the given processes (each counted once). */
    static double seconds(Collection<Long> pids) {
        return pids.stream().distinct().map(CpuAccount::ticks).filter(OptionalLong::isPresent)
                .mapToLong(OptionalLong::getAsLong).sum() / TICKS_PER_SECOND;
    }
}
