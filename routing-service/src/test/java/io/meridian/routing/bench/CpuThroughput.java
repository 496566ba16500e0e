package io.meridian.routing.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Operations per second of the measuring thread's own CPU time, for the same four operations as
 * {@link DecisionBenchmark}: a per-thread rate that holds up when other work shares the machine
 * (wall-clock JMH figures then drop with the share of the cores the thread gets). Each operation runs
 * 3 s of warm-up, then 5 rounds of at least 2 s of thread CPU time; the median round is reported.
 * Run: see docs/routing.md, "Benchmarks" ({@code routing-service/benchmarks.sh cpu}).
 */
public final class CpuThroughput {

    /** Where results go so that nothing is optimised away (a plain store: no hashing, no fence). */
    static Object sink;

    private CpuThroughput() {
    }

    public static void main(String[] args) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.println("| clients | operation | ops per thread-CPU-second (median of 5) | spread | bytes allocated per op |");
        System.out.println("|---|---|---|---|---|");
        for (int clients : new int[] {10_000, 1_000_000}) {
            DecisionBenchmark state = new DecisionBenchmark();
            state.clients = clients;
            state.setUp();
            DecisionBenchmark.Cursor cursor = new DecisionBenchmark.Cursor();
            measure(threads, clients, "bare geoip2 DatabaseReader.city()", i -> {
                try {
                    return state.bareGeoip2CityLookup(cursor);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            measure(threads, clients, "decision incl. parse + GeoIP", i -> state.decisionWithGeoIp(cursor));
            measure(threads, clients, "route incl. parse + GeoIP (no decision object)", i -> state.routeWithGeoIp(cursor));
            measure(threads, clients, "GeoIP only (parse + locate)", i -> state.geoIpOnly(cursor));
            measure(threads, clients, "decision only (located client)", i -> state.decisionOnly(cursor));
            measure(threads, clients, "decision only, reference path (every rule)", i -> state.decisionOnlyReference(cursor));
            state.tearDown();
        }
    }

    private static void measure(com.sun.management.ThreadMXBean threads, int clients, String name, IntFunction<Object> op) {
        long warm = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < warm) {
            for (int i = 0; i < 10_000; i++) {
                sink = op.apply(i);
            }
        }
        double[] rates = new double[5];
        long allocatedStart = threads.getCurrentThreadAllocatedBytes();
        long allOps = 0;
        for (int round = 0; round < rates.length; round++) {
            long cpuStart = threads.getCurrentThreadCpuTime();
            long ops = 0;
            long cpu;
            do {
                for (int i = 0; i < 10_000; i++) {
                    sink = op.apply(i);
                }
                ops += 10_000;
                cpu = threads.getCurrentThreadCpuTime() - cpuStart;
            } while (cpu < 2_000_000_000L);
            rates[round] = ops * 1e9 / cpu;
            allOps += ops;
        }
        double bytesPerOp = (double) (threads.getCurrentThreadAllocatedBytes() - allocatedStart) / allOps;
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "| %,d | %s | %,.0f | %,.0f-%,.0f | %.1f |%n", clients, name, sorted[2], sorted[0], sorted[4],
                bytesPerOp);
    }
}
