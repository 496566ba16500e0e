package io.meridian.stack.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which startup cache a service JVM uses or records, and how the once-per-build training run is launched. */
class StartupCacheTests {

    @TempDir
    Path dir;

    private Path jdk(String version) throws IOException {
        Path home = Files.createDirectories(dir.resolve("jdk-" + version));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    @Test
    void withoutATrainedCacheTheFirstRunRecordsItsOwn() throws IOException {
        StartupCache cache = StartupCache.forService(dir, StackUp.FAILOVER_WITNESS, "failover-service", jdk("25.0.3"));

        assertThat(cache.recording()).isTrue();
        assertThat(cache.options()).contains("-XX:AOTCacheOutput=" + dir.resolve("failover-witness.aot"));
    }

    @Test
    void aTrainedCacheIsUsedByEveryInstanceOfItsServiceAndRecordsNothing() throws IOException {
        Path javaHome = jdk("25.0.3");
        assertThat(StartupCache.trained(dir, "failover-service", javaHome)).isFalse();
        assertThat(StartupCache.trainingOptions(dir, "failover-service", javaHome))
                .containsExactly("-XX:AOTCacheOutput=" + dir.resolve("failover-service.aot"), "-Xlog:aot*=error");
        Files.write(dir.resolve("failover-service.aot"), new byte[] {1, 2, 3});

        assertThat(StartupCache.trained(dir, "failover-service", javaHome)).isTrue();
        for (String instance : List.of("failover-service", StackUp.FAILOVER_WITNESS)) {
            StartupCache cache = StartupCache.forService(dir, instance, "failover-service", javaHome);
            assertThat(cache.recording()).isFalse();
            assertThat(cache.options()).containsExactly("-XX:AOTCache=" + dir.resolve("failover-service.aot"));
        }
    }

    @Test
    void anEmptyCacheFileIsNotACache() throws IOException {
        Files.createFile(dir.resolve("region-service.aot"));

        assertThat(StartupCache.trained(dir, "region-service", jdk("25"))).isFalse();
        assertThat(StartupCache.forService(dir, "region-service", "region-service", jdk("25")).recording()).isTrue();
    }

    @Test
    void beforeJava25ItIsADynamicClassDataArchive() throws IOException {
        Path javaHome = jdk("21.0.5");
        assertThat(StartupCache.trainingOptions(dir, "gateway", javaHome))
                .containsExactly("-XX:ArchiveClassesAtExit=" + dir.resolve("gateway.jsa"));
        Files.write(dir.resolve("gateway.jsa"), new byte[] {1});

        StartupCache cache = StartupCache.forService(dir, "gateway", "gateway", javaHome);
        assertThat(cache.recording()).isFalse();
        assertThat(cache.options()).containsExactly("-XX:SharedArchiveFile=" + dir.resolve("gateway.jsa"), "-XX:+AutoCreateSharedArchive");
    }

    @Test
    void theTrainingRunIsTheStacksOwnCommandAgainstItsOwnInfrastructure() {
        StackHome home = new StackHome(dir.resolve("repo"), dir.resolve("data"));
        ServiceLaunch launch = new ServiceLaunch(home, RegionSeeds.load(), dir.resolve("jwt-public.pem"),
                new S3Server.Credentials("id", "secret"));
        Path jar = home.extracted("failover-service").resolve("failover-service.jar");
        Path trainingHome = home.dataDir().resolve("training/home");

        ServiceLaunch.Launch run = launch.of(Services.FAILOVER, jar, "failover-service-training", 40123,
                List.of("-XX:AOTCacheOutput=/x.aot"), List.of(), "jdbc:postgresql://127.0.0.1:40124/meridian", "127.0.0.1:40125",
                trainingHome);
        ServiceLaunch.Launch real = launch.of(Services.FAILOVER, jar, "failover-service", Services.FAILOVER.port(),
                List.of("-XX:AOTCache=/x.aot"), List.of());

        // the JVM options before -jar must be those of the real run (the JVM refuses a cache recorded with others)
        List<String> trainingJvm = run.command().subList(0, run.command().indexOf("-jar"));
        List<String> realJvm = real.command().subList(0, real.command().indexOf("-jar"));
        assertThat(trainingJvm.stream().filter(o -> !o.startsWith("-XX:AOTCache")))
                .containsExactlyElementsOf(realJvm.stream().filter(o -> !o.startsWith("-XX:AOTCache")).toList());
        assertThat(trainingJvm).doesNotContain("-Xshare:auto");
        assertThat(run.command()).containsSubsequence("-jar", jar.toString())
                .contains("--server.port=40123", "--spring.datasource.url=jdbc:postgresql://127.0.0.1:40124/meridian",
                        "--spring.kafka.bootstrap-servers=127.0.0.1:40125", "--spring.profiles.active=local-stack",
                        "--meridian.failover.instance-id=failover-service-training")
                .doesNotContain("--server.port=18084", "--spring.kafka.bootstrap-servers=127.0.0.1:19092")
                .noneMatch(arg -> arg.contains(":15432/"));
        assertThat(run.env()).as("nothing under the stack's own data").containsEntry("MERIDIAN_HOME", trainingHome.toString())
                .containsKey("AWS_ACCESS_KEY_ID");
        assertThat(real.env()).containsEntry("MERIDIAN_HOME", home.dataDir().toString());
    }

    @Test
    void theWitnessRunsOnItsOwnPortUnderItsOwnName() {
        StackHome home = new StackHome(dir.resolve("repo"), dir.resolve("data"));
        ServiceLaunch launch = new ServiceLaunch(home, RegionSeeds.load(), dir.resolve("jwt-public.pem"),
                new S3Server.Credentials("id", "secret"));

        List<String> command = launch.of(Services.FAILOVER, Path.of("/f.jar"), StackUp.FAILOVER_WITNESS,
                StackUp.FAILOVER_WITNESS_PORT, List.of(), List.of()).command();

        assertThat(command).contains("--server.port=" + StackUp.FAILOVER_WITNESS_PORT,
                "--meridian.failover.instance-id=failover-witness").doesNotContain("--server.port=18084");
    }
}
