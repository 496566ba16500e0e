package io.meridian.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class JdkAndPortsTests {

    @Test
    void findsAJava21OrNewer() {
        assertThat(Jdk.featureVersion(Jdk.home())).isGreaterThanOrEqualTo(21);
        assertThat(Files.isExecutable(Jdk.javaExecutable())).isTrue();
        assertThat(Jdk.javaExecutable()).endsWith(Path.of("bin", "java"));
    }

    @Test
    void tellsFreeFromTakenPorts() throws Exception {
        int port = Ports.freePort();
        assertThat(Ports.isFree(port)).isTrue();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(Ports.isFree(port)).isFalse();
        }
        assertThat(Ports.isFree(port)).isTrue();
        int[] ports = Ports.freePorts(3);
        assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(3);
    }

    @Test
    void choosesPortsNoOutgoingConnectionCanTake() {
        int ephemeralLow = Ports.ephemeralLow();
        if (Files.isReadable(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            assertThat(ephemeralLow).as("the ephemeral range's low end is read").isBetween(1, 65_535);
        }
        int[] ports = Ports.freePorts(50);
        assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(50);
        if (ephemeralLow - 1 - Ports.CHOSEN_LOW >= 1_000) {
            assertThat(Arrays.stream(ports).boxed()).allSatisfy(port -> assertThat(port).isBetween(Ports.CHOSEN_LOW, ephemeralLow - 1));
        }
        assertThat(Arrays.stream(ports).boxed()).allSatisfy(port -> assertThat(Ports.isFree(port)).isTrue());
    }

    @Test
    void waitsSayWhatTheyAwaited() {
        int[] calls = {0};
        Waits.until("the third call", Duration.ofSeconds(5), () -> ++calls[0] == 3);
        assertThat(calls[0]).isEqualTo(3);
        assertThatThrownBy(() -> Waits.until("a condition that never holds", Duration.ofMillis(100),
                Duration.ofMillis(10), () -> false, () -> "some diagnostics"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("waiting for a condition that never holds")
                .hasMessageContaining("some diagnostics");
    }
}
