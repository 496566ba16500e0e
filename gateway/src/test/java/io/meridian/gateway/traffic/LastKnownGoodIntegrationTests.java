package io.meridian.gateway.traffic;

import static io.meridian.gateway.traffic.Tables.geographic;
import static io.meridian.gateway.traffic.Tables.region;
import static io.meridian.gateway.traffic.Tables.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import io.meridian.testsupport.GeoIpDatabase;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.gateway.GatewayApplication;
import io.meridian.gateway.table.RoutingTableStore;
import io.meridian.stack.Ports;
import io.meridian.stack.kafka.KafkaBroker;
import io.meridian.testsupport.TestInfrastructure;

/**
 * Static stability: a gateway keeps routing when Kafka goes away, and a gateway started while Kafka
 * (and routing-service, which never runs here) is down routes from its last known good tables on
 * disk. Uses a Kafka broker of its own, so that stopping it disturbs no other test.
 */
class LastKnownGoodIntegrationTests {

    static KafkaBroker kafka;
    static RegionUpstream primary;
    static RegionUpstream secondary;
    static Path state;

    @BeforeAll
    static void start() {
        Path root = TestInfrastructure.get().newDirectory("lkg-" + System.nanoTime());
        kafka = KafkaBroker.create(root.resolve("kafka"), Ports.freePort(), Ports.freePort()).start();
        state = root.resolve("gateway-state");
        primary = new RegionUpstream("eu-west-7");
        secondary = new RegionUpstream("eu-west-8");
    }

    @AfterAll
    static void stop() {
        primary.close();
        secondary.close();
        kafka.stop();
    }

    static ConfigurableApplicationContext gateway(String bootstrapServers) {
        String control = "http://127.0.0.1:" + Ports.freePort();
        return new SpringApplicationBuilder(GatewayApplication.class).run(
                "--server.port=0",
                "--spring.kafka.bootstrap-servers=" + bootstrapServers,
                "--spring.security.oauth2.resourceserver.jwt.public-key-location=file:" + TestInfrastructure.get().tokens().publicKeyFile(),
                "--meridian.gateway.services.region=" + control,
                "--meridian.gateway.services.routing=" + control,
                "--meridian.gateway.services.replication=" + control,
                "--meridian.gateway.services.failover=" + control,
                "--meridian.gateway.services.backup=" + control,
                "--meridian.gateway.traffic.routes[0].host=lkg.test",
                "--meridian.gateway.traffic.routes[0].service=lkg",
                "--meridian.gateway.traffic.upstreams.eu-west-7=" + primary.url(),
                "--meridian.gateway.traffic.upstreams.eu-west-8=" + secondary.url(),
                "--meridian.gateway.traffic.trusted-proxies=127.0.0.1",
                "--meridian.gateway.traffic.state-directory=" + state,
                "--meridian.gateway.traffic.geoip-database=" + GeoIpDatabase.path());
    }

    static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    @Test
    void keepsRoutingWithKafkaStoppedAndStartsFromTheLastKnownGoodTables() {
        try (ConfigurableApplicationContext first = gateway(kafka.bootstrapServers())) {
            RoutingTableStore store = first.getBean(RoutingTableStore.class);
            Tables.publish(kafka.bootstrapServers(), table("lkg", Set.of(), List.of(
                    region("eu-west-7", ResidencyZone.EU, 53.3, -6.3, RegionStatus.ACTIVE),
                    region("eu-west-8", ResidencyZone.EU, 51.5, -0.1, RegionStatus.ACTIVE)),
                    geographic(Map.of("GB", List.of("eu-west-8")))));
            await().atMost(Duration.ofSeconds(60)).until(() -> store.get("lkg") != null);
            Http http = new Http(port(first));
            assertThat(http.get("lkg.test", "/", Map.of("X-Forwarded-For", LiveTrafficIntegrationTests.GB)).header("X-Meridian-Region"))
                    .isEqualTo("eu-west-8");
            kafka.stop();
            for (int i = 0; i < 5; i++) {
                Http.Reply reply = http.get("lkg.test", "/", Map.of("X-Forwarded-For", LiveTrafficIntegrationTests.GB));
                assertThat(reply.status()).as("still routing with Kafka stopped").isEqualTo(200);
                assertThat(reply.header("X-Meridian-Region")).isEqualTo("eu-west-8");
            }
        }
        // Kafka is still down, and no routing-service runs: a new gateway starts from the file.
        try (ConfigurableApplicationContext second = gateway(kafka.bootstrapServers())) {
            assertThat(second.getBean(RoutingTableStore.class).origin()).isEqualTo("disk");
            Http.Reply reply = new Http(port(second)).get("lkg.test", "/", Map.of("X-Forwarded-For", LiveTrafficIntegrationTests.GB));
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.header("X-Meridian-Region")).isEqualTo("eu-west-8");
            // and the last known good table still drives failover
            secondary.kill();
            Http.Reply failover = new Http(port(second)).get("lkg.test", "/", Map.of("X-Forwarded-For", LiveTrafficIntegrationTests.GB));
            assertThat(failover.status()).isEqualTo(200);
            assertThat(failover.header("X-Meridian-Region")).isEqualTo("eu-west-7");
        }
    }
}
