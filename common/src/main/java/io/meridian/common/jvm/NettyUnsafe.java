package io.meridian.common.jvm;

import java.util.Properties;

/**
 * Keeps Netty on its {@code sun.misc.Unsafe} fast paths on Java 24 and 25.
 *
 * <p>Netty 4.2 stops using {@code sun.misc.Unsafe} on those versions unless told otherwise, only to spare the JVM's
 * deprecation warning (JEP 498). Without it every byte of every direct buffer goes through checked {@code ByteBuffer}
 * access. In paired wrk rounds that cost the gateway about a third more CPU per request (docs/benchmarks.md,
 * Gateway). Vert.x, under fabric8's Kubernetes client and its mock server, runs on the same Netty.
 *
 * <p>So a process that calls {@link #keep()} first thing in {@code main} asks Netty for its Java 21 behaviour, unless
 * the operator set {@value #PROPERTY} or started the JVM with {@code --sun-misc-unsafe-memory-access=deny}. From
 * Java 26 (JEP 498's last phase denies the access by default) Netty's own choice stands. The JVM prints its warning
 * once; {@code --sun-misc-unsafe-memory-access=allow} (Java 23+) silences it.
 */
public final class NettyUnsafe {

    /** Netty's switch for its {@code sun.misc.Unsafe} fast paths. */
    public static final String PROPERTY = "io.netty.noUnsafe";

    private NettyUnsafe() {
    }

    /**
     * Applies the rule above to this JVM; call it before anything loads Netty.
     *
     * @return whether the property was set
     */
    public static boolean keep() {
        return keep(System.getProperties(), Runtime.version().feature());
    }

    static boolean keep(Properties system, int javaFeatureVersion) {
        if (system.getProperty(PROPERTY) != null || javaFeatureVersion > 25
                || "deny".equals(system.getProperty("sun.misc.unsafe.memory.access"))) {
            return false;
        }
        system.setProperty(PROPERTY, "false");
        return true;
    }
}
