package io.meridian.routing.bench;

import static io.meridian.routing.RoutingFixtures.region;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.routing.RoutingFixtures;
import io.meridian.routing.RoutingIntegrationTest;

/**
 * Benchmark, not a test: serves the zone of {@code /work/shared/anchors/dns-peers.sh}
 * ({@code svc.meridian.test}: api, web, auth, gw-eu with A and AAAA, everything else NXDOMAIN) from
 * routing-service's DNS endpoint, as four routed services with one region each, and runs the anchor
 * with {@code EXTRA} pointing at it, so BIND 9 and Meridian are measured by dnsperf in one run.
 * Run (nothing else heavy running): {@code ./mvnw -B -q -pl routing-service -am test -Dtest=DnsPeersBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false -Ddns.peers=/work/shared/anchors/dns-peers.sh}; output in
 * {@code routing-service/target/dns-peers.txt}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DnsPeersBenchmark extends RoutingIntegrationTest {

    private static final Map<String, String[]> RECORDS = Map.of(
            "api", new String[] {"192.0.2.10", "2001:db8::10"},
            "web", new String[] {"192.0.2.11", "2001:db8::11"},
            "auth", new String[] {"192.0.2.12", "2001:db8::12"},
            "gw-eu", new String[] {"192.0.2.13", "2001:db8::13"});

    @DynamicPropertySource
    static void zoneRecords(DynamicPropertyRegistry registry) {
        RECORDS.forEach((service, addresses) -> registry.add("meridian.routing.dns.region-addresses." + regionOf(service),
                () -> String.join(",", addresses)));
    }


    @Test
    void dnsperfAgainstBind() throws Exception {
        RoutingFixtures fixtures = fixtures();
        for (String service : RECORDS.keySet()) {
            fixtures.publishRegion(region(regionOf(service), ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, RECORDS.get(service)[0]), 1);
        }
        for (String service : RECORDS.keySet()) {
            fixtures.createPolicy("{\"service\": \"" + service + "\", \"regions\": [\"" + regionOf(service)
                    + "\"], \"rules\": [{\"type\": \"LATENCY\"}]}");
        }
        String script = System.getProperty("dns.peers", "/work/shared/anchors/dns-peers.sh");
        ProcessBuilder builder = new ProcessBuilder("bash", script).redirectErrorStream(true);
        builder.environment().put("EXTRA", "127.0.0.1:" + DNS_PORT);
        builder.environment().put("EXTRA_PID", Long.toString(ProcessHandle.current().pid()));
        builder.environment().putIfAbsent("WAIT_IDLE", "60");
        Process process = builder.start();
        StringBuilder output = new StringBuilder();
        try (var lines = process.inputReader(StandardCharsets.UTF_8)) {
            lines.lines().forEach(line -> {
                System.out.println(line);
                output.append(line).append('\n');
            });
        }
        int exit = process.waitFor();
        Files.writeString(Path.of("target/dns-peers.txt"), output);
        assertThat(exit).as(output.toString()).isZero();
    }

    private static String regionOf(String service) {
        return "us-" + service.replace("-", "") + "-1";
    }
}
