package io.meridian.stack.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.meridian.stack.Jdk;
import io.meridian.stack.Ports;
import io.meridian.stack.TestDirs;

class ManagedProcessTests {

    private Path dir;
    private final List<ManagedProcess> started = new ArrayList<>();

    @BeforeEach
    void createDir() {
        dir = TestDirs.create("meridian-process-test-");
    }

    @AfterEach
    void cleanUp() {
        for (ManagedProcess process : started) {
            try {
                process.kill();
            } catch (RuntimeException e) {
                System.err.println("Could not kill " + process + ": " + e);
            }
        }
        TestDirs.delete(dir);
    }

    @Test
    void recordsItsPidSoAnotherInvocationCanAttachSignalAndStopIt() throws Exception {
        Path pidFile = dir.resolve("run/sleeper.pid");
        Path logFile = dir.resolve("logs/sleeper.log");
        ManagedProcess process = track(ManagedProcess.start("sleeper",
                List.of("sh", "-c", "echo started $GREETING; exec sleep 60"), Map.of("GREETING", "hello"), dir,
                logFile, pidFile));

        assertThat(Files.readAllLines(pidFile).get(0)).isEqualTo(Long.toString(process.pid()));
        await().atMost(Duration.ofSeconds(10)).until(() -> process.logTail(5).contains("started hello"));

        Optional<ManagedProcess> attached = ManagedProcess.attach("sleeper", pidFile);
        assertThat(attached).isPresent();
        ManagedProcess other = attached.get();
        assertThat(other.pid()).isEqualTo(process.pid());
        assertThat(other.logTail(5)).contains("started hello");

        other.signal("STOP");
        await().atMost(Duration.ofSeconds(5)).until(() -> Processes.state(process.pid()).orElse('?') == 'T');
        assertThat(other.isAlive()).isTrue();
        other.signal("CONT");
        await().atMost(Duration.ofSeconds(5)).until(() -> Processes.state(process.pid()).orElse('T') != 'T');

        assertThatThrownBy(() -> ManagedProcess.start("sleeper", List.of("sleep", "60"), Map.of(), dir, logFile,
                pidFile)).isInstanceOf(IllegalStateException.class).hasMessageContaining("already runs");

        other.stop(Duration.ofSeconds(5));
        assertThat(process.isAlive()).isFalse();
        assertThat(other.isAlive()).isFalse();
        assertThat(pidFile).doesNotExist();
        assertThat(ManagedProcess.attach("sleeper", pidFile)).isEmpty();
        other.stop(Duration.ofSeconds(5)); // idempotent
    }

    @Test
    void ignoresAPidFileWhosePidNowBelongsToAnotherProcess() throws Exception {
        long self = ProcessHandle.current().pid();
        Path pidFile = dir.resolve("stale.pid");
        Files.writeString(pidFile, self + "\nstart-ticks=1\n");
        assertThat(ManagedProcess.attach("stale", pidFile)).isEmpty();

        Files.writeString(pidFile, self + "\nstart-ticks=" + Processes.startTicks(self).orElseThrow() + "\n");
        assertThat(ManagedProcess.attach("self", pidFile)).map(ManagedProcess::pid).contains(self);

        Files.writeString(pidFile, "not a pid\n");
        assertThat(ManagedProcess.attach("garbage", pidFile)).isEmpty();
        assertThat(ManagedProcess.attach("missing", dir.resolve("missing.pid"))).isEmpty();
    }

    @Test
    void killEndsTheProcessAtOnce() {
        ManagedProcess process = track(ManagedProcess.start("stubborn",
                List.of("sh", "-c", "trap '' TERM; exec sleep 60"), Map.of(), dir, dir.resolve("stubborn.log"),
                dir.resolve("stubborn.pid")));
        process.kill();
        assertThat(process.isAlive()).isFalse();
        assertThat(dir.resolve("stubborn.pid")).doesNotExist();
    }

    @Test
    void awaitsAnHttpServerInAChildJvm() {
        int port = Ports.freePort();
        ManagedProcess server = track(ManagedProcess.start("webserver",
                List.of(Jdk.javaExecutable().toString(), "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-m",
                        "jdk.httpserver", "-b", "127.0.0.1", "-p", Integer.toString(port), "-d", dir.toString()),
                Map.of(), dir, dir.resolve("webserver.log"), dir.resolve("webserver.pid")));

        server.awaitHttpOk(URI.create("http://127.0.0.1:" + port + "/"), Duration.ofSeconds(30));

        server.stop(Duration.ofSeconds(10));
        assertThat(server.isAlive()).isFalse();
    }

    @Test
    void reportsAProcessThatDiesBeforeItAnswersWithItsOutput() {
        int port = Ports.freePort();
        ManagedProcess failing = track(ManagedProcess.start("failing",
                List.of("sh", "-c", "echo 'boom: no configuration' >&2; exit 3"), Map.of(), dir,
                dir.resolve("failing.log"), dir.resolve("failing.pid")));

        assertThatThrownBy(() -> failing.awaitHttpOk(URI.create("http://127.0.0.1:" + port + "/"),
                Duration.ofSeconds(30)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code 3")
                .hasMessageContaining("boom: no configuration");
    }

    private ManagedProcess track(ManagedProcess process) {
        started.add(process);
        return process;
    }
}
