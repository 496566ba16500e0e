package io.meridian.stack.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command lines the local stack runs the services with. */
class ServicesTests {

    private static final Path JAVA = Path.of("/jdk/bin/java");
    private static final Path KEY = Path.of("/data/keys/jwt-public.pem");

    @Test
    void aServletServiceGetsItsDatabaseKafkaKeyAndLogs() {
        List<String> command = Services.FAILOVER.command(JAVA, Path.of("/repo/failover-service/target/failover-service-0.1.0-SNAPSHOT.jar"),
                KEY, Path.of("/data/logs/failover-service.log"), "jdbc:postgresql://127.0.0.1:15432/meridian", "127.0.0.1:19092", List.of());

        assertThat(command).startsWith("/jdk/bin/java").contains("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-Xshare:auto")
                .containsSubsequence("-jar", "/repo/failover-service/target/failover-service-0.1.0-SNAPSHOT.jar")
                .contains("--server.port=18084",
                        "--spring.datasource.url=jdbc:postgresql://127.0.0.1:15432/meridian",
                        "--spring.datasource.username=postgres",
                        "--spring.kafka.bootstrap-servers=127.0.0.1:19092",
                        "--spring.security.oauth2.resourceserver.jwt.public-key-location=file:/data/keys/jwt-public.pem",
                        "--logging.file.name=/data/logs/failover-service.log",
                        "--logging.structured.format.file=ecs");
    }

    @Test
    void theNettyServicesMayUseUnsafeWithoutTheJvmsWarningOnJava23AndLater(@TempDir Path jdks) throws Exception {
        Path java25 = jdk(jdks.resolve("25"), "25.0.3");
        Path java21 = jdk(jdks.resolve("21"), "21.0.9");
        String flag = "--sun-misc-unsafe-memory-access=allow";
        for (Services service : List.of(Services.GATEWAY, Services.REGION, Services.BACKUP)) {
            assertThat(command(service, java25)).as(service.module()).containsSubsequence(flag, "-jar");
            assertThat(command(service, java21)).as(service.module() + " on Java 21, which does not know the flag").doesNotContain(flag);
        }
        assertThat(command(Services.ROUTING, java25)).doesNotContain(flag);
    }

    private static Path jdk(Path home, String version) throws Exception {
        java.nio.file.Files.createDirectories(home.resolve("bin"));
        java.nio.file.Files.writeString(home.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
        return home.resolve("bin").resolve("java");
    }

    private static List<String> command(Services service, Path java) {
        return service.command(java, Path.of("/repo/" + service.module() + ".jar"), KEY, Path.of("/data/logs/x.log"),
                "jdbc:postgresql://127.0.0.1:15432/meridian", "127.0.0.1:19092", List.of());
    }

    @Test
    void backupServiceGetsTheVectorModuleForItsRestoresAndNoOtherServiceDoes() {
        List<String> backup = Services.BACKUP.command(JAVA, Path.of("/repo/backup-service/target/backup-service-0.1.0-SNAPSHOT.jar"), KEY,
                Path.of("/data/logs/backup-service.log"), "jdbc:postgresql://127.0.0.1:15432/meridian", "127.0.0.1:19092", List.of());
        assertThat(backup).containsSubsequence("--add-modules", "jdk.incubator.vector", "-jar");
        List<String> region = Services.REGION.command(JAVA, Path.of("/repo/region-service/target/region-service-0.1.0-SNAPSHOT.jar"), KEY,
                Path.of("/data/logs/region-service.log"), "jdbc:postgresql://127.0.0.1:15432/meridian", "127.0.0.1:19092", List.of());
        assertThat(region).doesNotContain("--add-modules");
    }

    @Test
    void theGatewayKnowsEveryService() {
        List<String> command = Services.GATEWAY.command(JAVA, Path.of("/repo/gateway/target/gateway-0.1.0-SNAPSHOT.jar"), KEY,
                Path.of("/data/logs/gateway.log"), "jdbc:postgresql://127.0.0.1:15432/meridian", "127.0.0.1:19092",
                List.of("-XX:AOTCache=/data/jars/gateway/gateway.aot"));

        assertThat(command).doesNotContain("-Xshare:auto").contains("-XX:AOTCache=/data/jars/gateway/gateway.aot")
                .noneMatch(a -> a.startsWith("--spring.datasource"))
                .contains("--server.port=18080",
                        "--meridian.gateway.services.region=http://127.0.0.1:18081",
                        "--meridian.gateway.services.routing=http://127.0.0.1:18082",
                        "--meridian.gateway.services.replication=http://127.0.0.1:18083",
                        "--meridian.gateway.services.failover=http://127.0.0.1:18084",
                        "--meridian.gateway.services.backup=http://127.0.0.1:18085");
    }

    @Test
    void servicesAreNamedByModuleOrShortName() {
        assertThat(Services.named("region")).contains(Services.REGION);
        assertThat(Services.named("backup-service")).contains(Services.BACKUP);
        assertThat(Services.named("Gateway")).contains(Services.GATEWAY);
        assertThat(Services.named("dns")).isEmpty();
    }
}
