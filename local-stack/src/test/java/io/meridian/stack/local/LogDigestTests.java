package io.meridian.stack.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed child's log is reduced to its root cause and its last meaningful lines. */
class LogDigestTests {

    @TempDir
    Path dir;

    @Test
    void showsTheRootCauseWithoutCacheNoise() throws Exception {
        Path log = dir.resolve("region-service.out");
        Files.writeString(log, """
                2026-11-22T04:04:33Z ERROR 1 --- [main] o.s.boot.SpringApplication : Application run failed
                org.springframework.beans.factory.BeanCreationException: Error creating bean with name 'jdbcClient'
                \tat org.springframework.beans.factory.support.AbstractBeanFactory.doGetBean(AbstractBeanFactory.java:322)
                Caused by: org.flywaydb.core.api.exception.FlywayValidateException: Validate failed: Migrations have failed validation
                \tat org.flywaydb.core.Flyway.migrate(Flyway.java:186)
                [32.125s][warning][aot] Skipping jdk/proxy2/$Proxy57: Unsupported location
                [32.126s][warning][aot] Skipping org/springframework/core/$Proxy103: Unsupported location
                AOTCache creation is complete
                """);

        String digest = LogDigest.of(log, 40);

        assertThat(digest).startsWith("root cause: Caused by: org.flywaydb.core.api.exception.FlywayValidateException")
                .contains("Application run failed", "AOTCache creation is complete")
                .doesNotContain("[warning][aot]");
    }

    @Test
    void aLogWithoutAStackTraceIsJustItsTail() throws Exception {
        Path log = dir.resolve("sample-app-eu-west-1.log");
        Files.writeString(log, "line 1\nline 2\nline 3\n");

        assertThat(LogDigest.of(log, 2)).doesNotContain("root cause").endsWith("line 2\nline 3");
    }
}
