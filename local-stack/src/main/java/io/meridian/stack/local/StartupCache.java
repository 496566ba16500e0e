package io.meridian.stack.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A per-service cache of loaded and linked classes, so that the second and later starts of a build
 * need much less CPU (on two cores the six services starting together are what the stack waits
 * for). On Java 25 and newer it is an AOT cache (JEP 483/514/515), trained once per build by {@link StackPrepare};
 * a run that finds none records one, written when that JVM exits; later runs use it. On Java 21 to 24 it is a dynamic CDS archive that
 * the JVM creates at exit and uses on later runs ({@code -XX:+AutoCreateSharedArchive}). The cache
 * sits next to the extracted jar, so a new build (a new extraction) starts without one. A JVM that
 * cannot use a cache (another JDK, other flags) warns and runs without it.
 *
 * @param options   the JVM options to add
 * @param recording whether this run records the cache at exit (its exit then takes longer)
 */
record StartupCache(List<String> options, boolean recording) {

    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"([0-9]+)");

    /**
     * The cache options for an instance {@code name} of the service {@code module} extracted in {@code dir}, run by
     * the Java in {@code javaHome}: the cache trained for the build ({@link StackPrepare}) when there is one (a second
     * instance of the same service shares it), else the instance's own recorded cache, else options that record one.
     */
    static StartupCache forService(Path dir, String name, String module, Path javaHome) {
        if (featureVersion(javaHome) >= 25) {
            for (String owner : List.of(module, name)) {
                Path cache = dir.resolve(owner + ".aot");
                if (usable(cache)) {
                    return new StartupCache(List.of("-XX:AOTCache=" + cache), false);
                }
            }
            // recording warns once per class it cannot cache (proxies, unlinked classes): keep the log readable
            return new StartupCache(List.of("-XX:AOTCacheOutput=" + dir.resolve(name + ".aot"), "-Xlog:aot*=error"), true);
        }
        Path trained = dir.resolve(module + ".jsa");
        Path archive = usable(trained) ? trained : dir.resolve(name + ".jsa");
        return new StartupCache(List.of("-XX:SharedArchiveFile=" + archive, "-XX:+AutoCreateSharedArchive"),
                !usable(archive));
    }

    /** The options of a training run that writes the cache of {@code module} into {@code dir} as the JVM exits. */
    static List<String> trainingOptions(Path dir, String module, Path javaHome) {
        if (featureVersion(javaHome) >= 25) {
            return List.of("-XX:AOTCacheOutput=" + dir.resolve(module + ".aot"), "-Xlog:aot*=error");
        }
        return List.of("-XX:ArchiveClassesAtExit=" + dir.resolve(module + ".jsa"));
    }

    /** Whether a trained (or recorded) cache of {@code module} is in {@code dir}. */
    static boolean trained(Path dir, String module, Path javaHome) {
        return usable(dir.resolve(module + (featureVersion(javaHome) >= 25 ? ".aot" : ".jsa")));
    }

    /** Deletes the cache a run recorded, for a run that failed before it was ready (its cache is partial). */
    static void discard(Path dir, String module) {
        for (String name : List.of(module + ".aot", module + ".aot.config", module + ".jsa")) {
            try {
                Files.deleteIfExists(dir.resolve(name));
            } catch (IOException e) {
                // a stale cache only costs speed; the JVM validates it
            }
        }
    }

    private static boolean usable(Path cache) {
        try {
            return Files.isRegularFile(cache) && Files.size(cache) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The feature version of the Java in {@code home} (from its {@code release} file), or the running one's. */
    static int featureVersion(Path home) {
        try {
            Matcher m = JAVA_VERSION.matcher(Files.readString(home.resolve("release")));
            if (m.find()) {
                int major = Integer.parseInt(m.group(1));
                return major == 1 ? 8 : major;
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return Runtime.version().feature();
    }
}
