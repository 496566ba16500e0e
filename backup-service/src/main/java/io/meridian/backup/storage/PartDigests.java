package io.meridian.backup.storage;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the parts of a restore are hashed: several parts at once in the lanes of a vector ({@link Sha256Lanes}, about four
 * times the bytes per CPU-second of the JDK's SHA-256 on CPUs without SHA extensions) when this JVM can, else one part at a
 * time with the JDK's {@code MessageDigest}. The digests are the same SHA-256 either way; only the CPU spent differs.
 *
 * <p>The lanes need the incubating {@code jdk.incubator.vector} module ({@code --add-modules jdk.incubator.vector} on the
 * {@code java} command line) and vectors of at least 256 bits; they are also checked against {@code MessageDigest} on
 * random messages before first use. When any of that fails, or {@code -Dmeridian.backup.sha256-lanes=false} is set, the
 * JDK's SHA-256 is used and the reason is logged once.
 */
public final class PartDigests {

    private static final Logger log = LoggerFactory.getLogger(PartDigests.class);
    static final String MODULE = "jdk.incubator.vector";

    /** SHA-256 of several messages of equal length at once. */
    interface Engine {

        /** Messages hashed at once. */
        int lanes();

        String name();

        /** Why this CPU would run it slower than the JDK's SHA-256, or null. */
        @Nullable String unsupported();

        /** The digests of the first {@code length} bytes of {@code messages[0 .. count - 1]}. */
        byte[][] digest(byte[][] messages, int count, int length);
    }

    private record Choice(@Nullable Engine engine, String description) {
    }

    private static final class Holder {
        private static final Choice CHOICE = choose();
    }

    private PartDigests() {
    }

    /** The lanes engine, or null when parts are hashed one at a time with the JDK's SHA-256. */
    static @Nullable Engine lanes() {
        return Holder.CHOICE.engine();
    }

    /**
     * Hex SHA-256 of the first {@code length} bytes of {@code messages[0 .. count - 1]}: in {@code lanes} when there are
     * more than two (with one or two most lanes would idle), else one at a time with the JDK's SHA-256.
     */
    static String[] sha256Hex(@Nullable Engine lanes, byte[][] messages, int count, int length) {
        String[] hex = new String[count];
        if (lanes != null && count > 2) {
            byte[][] digests = lanes.digest(messages, count, length);
            for (int k = 0; k < count; k++) {
                hex[k] = Hex.hex(digests[k]);
            }
        } else {
            for (int k = 0; k < count; k++) {
                MessageDigest digest = Hex.sha256();
                digest.update(messages[k], 0, length);
                hex[k] = Hex.hex(digest.digest());
            }
        }
        return hex;
    }

    /** What hashes the parts of a restore, and why (logged once, the first time this is asked). */
    public static String description() {
        return Holder.CHOICE.description();
    }

    private static Choice choose() {
        Choice choice = load();
        log.info("SHA-256 of restored parts: {}", choice.description());
        return choice;
    }

    private static Choice load() {
        String jdk = "the JDK's MessageDigest (" + Hex.sha256().getProvider().getName() + "), one part at a time";
        if ("false".equals(System.getProperty("meridian.backup.sha256-lanes"))) {
            return new Choice(null, jdk + ": -Dmeridian.backup.sha256-lanes=false");
        }
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            return new Choice(null, jdk + ": start the JVM with --add-modules " + MODULE + " for the vector lanes");
        }
        Engine engine;
        try {
            engine = (Engine) Class.forName(PartDigests.class.getPackageName() + ".Sha256Lanes").getDeclaredConstructor().newInstance();
            String unsupported = engine.unsupported();
            if (unsupported != null) {
                return new Choice(null, jdk + ": " + unsupported);
            }
            String problem = selfTest(engine);
            if (problem != null) {
                return new Choice(null, jdk + ": the vector lanes failed their self-test (" + problem + ")");
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return new Choice(null, jdk + ": the vector lanes could not be loaded (" + e + ")");
        }
        return new Choice(engine, engine.name() + ", " + engine.lanes() + " parts at a time; self-test against MessageDigest passed");
    }

    /**
     * Compares the engine with {@code MessageDigest} on random messages of the lengths where padding changes (and warms it up);
     * null when every digest matched.
     */
    static @Nullable String selfTest(Engine engine) {
        Random random = new Random(7);
        int[] lengths = {0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 64 * 1024 + 7, 256 * 1024};
        for (int length : lengths) {
            for (int count : new int[] {1, engine.lanes()}) {
                byte[][] messages = new byte[count][length + 13];
                for (byte[] m : messages) {
                    random.nextBytes(m);
                }
                byte[][] digests = engine.digest(messages, count, length);
                for (int i = 0; i < count; i++) {
                    MessageDigest reference = Hex.sha256();
                    reference.update(messages[i], 0, length);
                    if (!Arrays.equals(reference.digest(), digests[i])) {
                        return "message " + i + " of " + count + ", " + length + " bytes";
                    }
                }
            }
        }
        return null;
    }
}
