package io.meridian.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * Finds a Java 21+ runtime to launch child JVMs (the Kafka broker, the services of the local
 * stack) with, the same way {@code scripts/find-jdk.sh} finds one for the build.
 */
public final class Jdk {

    /** The oldest Java feature version Meridian runs on. */
    public static final int MINIMUM_FEATURE_VERSION = 21;

    private static final Path JVM_DIR = Path.of("/usr/lib/jvm");
    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"([0-9]+)(?:\\.([0-9]+))?");

    private Jdk() {
    }

    /**
     * Home of a JDK 21+: the running JVM's {@code java.home} if its feature version is at least 21,
     * else {@code $JAVA_HOME} if that is a Java 21+, else the newest Java 21+ under
     * {@code /usr/lib/jvm}.
     *
     * @return the home directory (it has {@code bin/java})
     * @throws IllegalStateException if there is none
     */
    public static Path home() {
        String javaHome = System.getProperty("java.home");
        if (javaHome != null && Runtime.version().feature() >= MINIMUM_FEATURE_VERSION
                && Files.isExecutable(Path.of(javaHome, "bin", "java"))) {
            return Path.of(javaHome);
        }
        String env = System.getenv("JAVA_HOME");
        if (env != null && !env.isBlank() && featureVersion(Path.of(env)) >= MINIMUM_FEATURE_VERSION) {
            return Path.of(env);
        }
        Optional<Path> newest = newestUnder(JVM_DIR);
        if (newest.isPresent()) {
            return newest.get();
        }
        throw new IllegalStateException("No Java " + MINIMUM_FEATURE_VERSION + "+ found: the running JVM is Java "
                + Runtime.version().feature() + " (java.home=" + javaHome + "), $JAVA_HOME is "
                + (env == null ? "not set" : "'" + env + "' (Java " + featureVersion(Path.of(env)) + ")")
                + ", and " + JVM_DIR + " has none. Install a JDK " + MINIMUM_FEATURE_VERSION
                + " or newer, or point JAVA_HOME at one.");
    }

    /**
     * The {@code java} launcher of {@link #home()}.
     *
     * @return {@code <home>/bin/java}
     */
    public static Path javaExecutable() {
        return home().resolve("bin").resolve("java");
    }

    /**
     * The feature version (e.g. 25) of the Java installed at {@code home}, read from its
     * {@code release} file.
     *
     * @param home a Java home directory
     * @return the feature version, or -1 if {@code home} is not a readable Java installation
     */
    static int featureVersion(Path home) {
        if (!Files.isExecutable(home.resolve("bin").resolve("java"))) {
            return -1;
        }
        try {
            Matcher m = JAVA_VERSION.matcher(Files.readString(home.resolve("release")));
            if (!m.find()) {
                return -1;
            }
            int major = Integer.parseInt(m.group(1));
            @Nullable String minor = m.group(2);
            return major == 1 && minor != null ? Integer.parseInt(minor) : major;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static Optional<Path> newestUnder(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            List<Path> candidates = entries.filter(p -> !Files.isSymbolicLink(p))
                    .filter(p -> featureVersion(p) >= MINIMUM_FEATURE_VERSION)
                    .sorted(Comparator.comparingInt(Jdk::featureVersion).reversed()
                            .thenComparing(Comparator.<Path>naturalOrder()))
                    .toList();
            return candidates.stream().findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
