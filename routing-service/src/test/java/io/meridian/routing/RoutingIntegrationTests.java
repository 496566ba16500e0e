package io.meridian.routing;

import static io.meridian.routing.RoutingFixtures.json;
import static io.meridian.routing.RoutingFixtures.region;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.failover.FailoverEvent;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingDecision;
import io.meridian.common.routing.RoutingTable;
import io.meridian.routing.decide.RoutingEngine;
import io.meridian.support.kafka.CompactedTopicReader;
import io.meridian.testsupport.TestInfrastructure;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/**
 * routing-service end to end against the real PostgreSQL and Kafka: regions, health and failovers
 * arrive as events, operators change policies over HTTP, tables are read back from the topic, and DNS
 * is asked with dnsjava's resolver over UDP and TCP. Each test uses its own regions and services.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RoutingIntegrationTests extends RoutingIntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired
    RoutingEngine engine;

    RoutingFixtures fixtures;

    @BeforeEach
    void setUp() {
        fixtures = fixtures();
    }

    private void register(Region... regions) throws Exception {
        for (Region region : regions) {
            fixtures.publishRegion(region, 1);
        }
    }

    private HttpResponse<String> createPolicy(Object policy) throws Exception {
        return fixtures.send("POST", "/api/v1/routing/policies", TestTokens.operator(), policy, Map.of("X-Meridian-Reason", "test"));
    }

    /** Creates a policy, waiting until its regions have arrived from the region topic. */
    private JsonNode createPolicyOnceRegionsArrive(Object policy) {
        HttpResponse<String>[] last = new HttpResponse[1];
        await().atMost(WAIT).until(() -> {
            last[0] = createPolicy(policy);
            return last[0].statusCode() != 400 || !last[0].body().contains("unknown region");
        });
        assertThat(last[0].statusCode()).as(last[0].body()).isEqualTo(201);
        return json(last[0]);
    }

    private RoutingDecision decide(String service, String ip) {
        return engine.decide(service, ip, true);
    }

    @Test
    void policiesAreValidatedVersionedAndAudited() throws Exception {
        register(region("us-crud-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.21"),
                region("us-crud-2", ResidencyZone.US, "US", 45.6, -121.2, RegionStatus.ACTIVE, "192.0.2.22"));

        HttpResponse<String> invalid = createPolicy("""
                {"service": "Crud!", "regions": ["us-crud-1", "nowhere"], "residencyZones": ["MARS"],
                 "rules": [{"type": "WEIGHTED", "weights": {"us-crud-1": 90, "us-crud-2": 9.95}}]}""");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(json(invalid).path("type").asString()).isEqualTo("https://meridian.dev/problems/validation");
        assertThat(json(invalid).path("errors").valueStream().map(e -> e.path("field").asString()).toList())
                .containsExactlyInAnyOrder("service", "regions[1]", "residencyZones[0]", "rules[0].weights.us-crud-2");

        String policy = """
                {"service": "crud", "description": "canary of the crud app", "regions": ["us-crud-1", "us-crud-2"],
                 "rules": [{"type": "WEIGHTED", "weights": {"us-crud-1": 95, "us-crud-2": 5}}]}""";
        JsonNode created = createPolicyOnceRegionsArrive(policy);
        assertThat(created.path("version").asLong()).isEqualTo(1);
        HttpResponse<String> read = fixtures.get("/api/v1/routing/policies/crud", TestTokens.viewer());
        assertThat(read.headers().firstValue("ETag")).hasValue("\"1\"");
        assertThat(json(read).path("rules").get(0).path("weights").path("us-crud-2").asString()).isEqualTo("5.0");

        assertThat(createPolicy(policy).statusCode()).as("one policy per service").isEqualTo(409);
        String changed = policy.replace("95", "90").replace("\"us-crud-2\": 5", "\"us-crud-2\": 10");
        HttpResponse<String> noIfMatch = fixtures.send("PUT", "/api/v1/routing/policies/crud", TestTokens.operator(), changed, Map.of());
        assertThat(noIfMatch.statusCode()).isEqualTo(428);
        HttpResponse<String> stale = fixtures.send("PUT", "/api/v1/routing/policies/crud", TestTokens.operator(), changed,
                Map.of("If-Match", "\"7\""));
        assertThat(stale.statusCode()).isEqualTo(412);
        HttpResponse<String> updated = fixtures.send("PUT", "/api/v1/routing/policies/crud", TestTokens.operator(), changed,
                Map.of("If-Match", "\"1\"", "X-Meridian-Reason", "raise the canary"));
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        assertThat(updated.headers().firstValue("ETag")).hasValue("\"2\"");

        JsonNode audit = json(fixtures.get("/api/v1/routing/audit?target=policy/crud", TestTokens.viewer()));
        assertThat(audit.valueStream().map(r -> r.path("action").asString() + " " + r.path("outcome").asString()).toList())
                .contains("routing.policy.create SUCCEEDED", "routing.policy.update SUCCEEDED");
        assertThat(audit.valueStream().filter(r -> r.path("action").asString().equals("routing.policy.update")).findFirst().orElseThrow()
                .path("reason").asString()).isEqualTo("raise the canary");

        assertThat(fixtures.send("DELETE", "/api/v1/routing/policies/crud", TestTokens.operator(), null, Map.of("If-Match", "\"2\""))
                .statusCode()).as("deleting is for admins").isEqualTo(403);
        assertThat(fixtures.send("DELETE", "/api/v1/routing/policies/crud", TestTokens.admin(), null, Map.of("If-Match", "\"2\""))
                .statusCode()).isEqualTo(204);
        await().atMost(WAIT).until(() -> fixtures.get("/api/v1/routing/decide?service=crud&clientIp=8.8.8.8", TestTokens.viewer())
                .statusCode() == 404);
        await().atMost(WAIT).until(() -> !readTables().containsKey("crud"));
    }

    @Test
    void safetyRulesRejectOperatorChangesWithTheReason() throws Exception {
        register(region("eu-safe-1", ResidencyZone.EU, "IE", 53.35, -6.26, RegionStatus.ACTIVE, "192.0.2.31"),
                region("us-safe-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.32"),
                region("eu-safe-2", ResidencyZone.EU, "DE", 50.1, 8.7, RegionStatus.MAINTENANCE, "192.0.2.33"));

        String outOfZone = """
                {"service": "ledger", "regions": ["eu-safe-1", "us-safe-1"], "residencyZones": ["EU"],
                 "rules": [{"type": "LATENCY"}]}""";
        HttpResponse<String>[] rejected = new HttpResponse[1];
        await().atMost(WAIT).until(() -> {
            rejected[0] = createPolicy(outOfZone);
            return rejected[0].statusCode() == 409;
        });
        JsonNode problem = json(rejected[0]);
        assertThat(problem.path("type").asString()).isEqualTo("https://meridian.dev/problems/routing-safety-violation");
        assertThat(problem.path("safetyRule").asString()).isEqualTo("out-of-zone");
        assertThat(problem.path("detail").asString()).contains("us-safe-1 (US)");

        HttpResponse<String> noHealthy = createPolicy("""
                {"service": "ledger", "regions": ["eu-safe-2"], "rules": [{"type": "LATENCY"}]}""");
        assertThat(noHealthy.statusCode()).isEqualTo(409);
        assertThat(json(noHealthy).path("safetyRule").asString()).isEqualTo("no-healthy-region");
        assertThat(json(noHealthy).path("detail").asString()).contains("eu-safe-2 MAINTENANCE");

        createPolicyOnceRegionsArrive("""
                {"service": "ledger", "regions": ["eu-safe-1", "eu-safe-2"], "residencyZones": ["EU"], "rules": [{"type": "LATENCY"}]}""");
        HttpResponse<String> dropHealthy = fixtures.send("PUT", "/api/v1/routing/policies/ledger", TestTokens.operator(), """
                {"regions": ["eu-safe-2"], "residencyZones": ["EU"], "rules": [{"type": "LATENCY"}]}""", Map.of("If-Match", "\"1\""));
        assertThat(dropHealthy.statusCode()).isEqualTo(409);
        assertThat(json(dropHealthy).path("detail").asString()).contains("no healthy region");
        assertThat(fixtures.get("/api/v1/routing/policies/ledger", TestTokens.viewer()).headers().firstValue("ETag"))
                .as("nothing changed").hasValue("\"1\"");

        JsonNode audit = json(fixtures.get("/api/v1/routing/audit?target=policy/ledger", TestTokens.viewer()));
        assertThat(audit.valueStream().filter(r -> r.path("outcome").asString().equals("REJECTED")).map(r -> r.path("detail").asString()))
                .anySatisfy(detail -> assertThat(detail).contains("no healthy region"))
                .anySatisfy(detail -> assertThat(detail).contains("outside"));
    }

    @Test
    void decisionsNameTargetFallbacksRuleAndWhy() throws Exception {
        register(region("eu-dec-1", ResidencyZone.EU, "IE", 53.35, -6.26, RegionStatus.ACTIVE, "192.0.2.41"),
                region("us-dec-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.42"),
                region("ap-dec-1", ResidencyZone.APAC, "JP", 35.68, 139.69, RegionStatus.ACTIVE, "192.0.2.43"));
        createPolicyOnceRegionsArrive("""
                {"service": "shop", "regions": ["eu-dec-1", "us-dec-1", "ap-dec-1"],
                 "rules": [{"type": "GEOGRAPHIC", "countries": {"GB": ["eu-dec-1"], "JP": ["ap-dec-1"]}},
                           {"type": "LATENCY", "maxLatencyMillis": 80}],
                 "fallback": ["us-dec-1"]}""");

        HttpResponse<String> london = fixtures.get("/api/v1/routing/decide?service=shop&clientIp=81.2.69.160", TestTokens.viewer());
        assertThat(london.statusCode()).as(london.body()).isEqualTo(200);
        JsonNode decision = json(london);
        assertThat(decision.path("target").asString()).isEqualTo("eu-dec-1");
        assertThat(decision.path("decidedBy").asString()).isEqualTo("GEOGRAPHIC");
        assertThat(decision.path("fallbacks").valueStream().map(JsonNode::asString).toList()).containsExactly("us-dec-1", "ap-dec-1");
        assertThat(decision.path("client").path("country").asString()).isEqualTo("GB");
        assertThat(decision.path("explanation").asString()).contains("located in GB by GeoIP").contains("GB maps to eu-dec-1");

        RoutingDecision brazil = decide("shop", "200.160.2.3");
        assertThat(brazil.decidedBy()).as("São Paulo is far from every region: latency passes, fallback decides")
                .isEqualTo(RoutingDecision.DecidedBy.FALLBACK);
        assertThat(brazil.target()).isEqualTo(RegionId.of("us-dec-1"));

        JsonNode privateClient = json(fixtures.get("/api/v1/routing/decide?service=shop&clientIp=10.9.8.7", TestTokens.viewer()));
        assertThat(privateClient.path("client").path("source").asString()).isEqualTo("PRIVATE");
        assertThat(privateClient.path("explanation").asString()).contains("private address; default location US");

        HttpResponse<String> malformed = fixtures.get("/api/v1/routing/decide?service=shop&clientIp=300.1.1.1", TestTokens.viewer());
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(json(malformed).path("field").asString()).isEqualTo("clientIp");
        assertThat(fixtures.get("/api/v1/routing/decide?clientIp=8.8.8.8", TestTokens.viewer()).statusCode()).isEqualTo(400);
        HttpResponse<String> unknown = fixtures.get("/api/v1/routing/decide?service=no-such-service&clientIp=8.8.8.8", TestTokens.viewer());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).path("type").asString()).isEqualTo("https://meridian.dev/problems/not-found");
    }

    @Test
    void aZoneTaggedServiceRefusesWhenItsZoneHasNoHealthyRegionLeft() throws Exception {
        Region eu = region("eu-res-1", ResidencyZone.EU, "IE", 53.35, -6.26, RegionStatus.ACTIVE, "192.0.2.51");
        register(eu, region("eu-res-2", ResidencyZone.EU, "DE", 50.1, 8.7, RegionStatus.ACTIVE, "192.0.2.52"),
                region("us-res-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.53"));
        createPolicyOnceRegionsArrive("""
                {"service": "patients", "regions": ["eu-res-1", "eu-res-2"], "residencyZones": ["EU"],
                 "rules": [{"type": "LATENCY"}]}""");
        String berlin = "194.25.2.129";
        assertThat(decide("patients", berlin).target()).isEqualTo(RegionId.of("eu-res-2"));

        fixtures.failover("op-res-1", FailoverEvent.Step.FENCED, RegionId.of("eu-res-2"), 1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(decide("patients", berlin).target()).isEqualTo(RegionId.of("eu-res-1")));

        fixtures.publishRegion(eu.withStatus(RegionStatus.FAILED), 2);
        await().atMost(WAIT).untilAsserted(() -> {
            RoutingDecision refused = decide("patients", berlin);
            assertThat(refused.outcome()).isEqualTo(RoutingDecision.Outcome.REFUSED);
            assertThat(refused.decidedBy()).isEqualTo(RoutingDecision.DecidedBy.RESIDENCY_REFUSAL);
            assertThat(refused.target()).isNull();
        });
        RoutingDecision newYork = decide("patients", "8.8.8.8");
        assertThat(newYork.routed()).as("us-res-1 is healthy, but the service's data never leaves EU").isFalse();

        fixtures.failover("op-res-1", FailoverEvent.Step.REJOINED, RegionId.of("eu-res-2"), 2);
        await().atMost(WAIT).untilAsserted(() -> assertThat(decide("patients", berlin).target()).isEqualTo(RegionId.of("eu-res-2")));
    }

    @Test
    void tablesArePublishedOnTheCompactedTopicWhenAnInputChanges() throws Exception {
        register(region("us-tab-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.61"),
                region("us-tab-2", ResidencyZone.US, "US", 45.6, -121.2, RegionStatus.ACTIVE, "192.0.2.62"));
        createPolicyOnceRegionsArrive("""
                {"service": "search", "regions": ["us-tab-1", "us-tab-2"], "residencyZones": ["US"],
                 "rules": [{"type": "HEALTH", "healthThreshold": 0.6}]}""");

        RoutingTable first = await().atMost(WAIT).until(() -> readTables().get("search"), t -> t != null);
        assertThat(first.residencyZones()).containsExactly(ResidencyZone.US);
        assertThat(first.regions()).extracting(r -> r.id().value()).containsExactly("us-tab-1", "us-tab-2");
        assertThat(first.regions()).allSatisfy(r -> assertThat(r.addresses()).hasSize(1));
        assertThat(first.rules().getFirst().healthThreshold()).isEqualTo(0.6);

        for (int i = 0; i < 3; i++) {
            fixtures.observe(RegionId.of("us-tab-1"), false);
        }
        RoutingTable degraded = await().atMost(WAIT).until(() -> readTables().get("search"),
                t -> t.regions().getFirst().healthScore() < 0.4);
        assertThat(degraded.version()).isGreaterThan(first.version());
        assertThat(degraded.regions().getFirst().healthScore()).isEqualTo(0.34);
        RoutingDecider gatewaySide = RoutingDecider.of(degraded);
        assertThat(gatewaySide.decide(engine.decide("search", "8.8.8.8", false).client(), 1, false).target())
                .as("a consumer deciding from the published table agrees").isEqualTo(RegionId.of("us-tab-2"));

        fixtures.failover("op-tab-1", FailoverEvent.Step.FENCED, RegionId.of("us-tab-2"), 1);
        RoutingTable fenced = await().atMost(WAIT).until(() -> readTables().get("search"), t -> t.regions().get(1).fenced());
        assertThat(fenced.version()).isGreaterThan(degraded.version());
    }

    @Test
    void raisingACanaryMovesAboutFivePercentOfAHundredThousandClients() throws Exception {
        register(region("us-can-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.71"),
                region("us-can-2", ResidencyZone.US, "US", 45.6, -121.2, RegionStatus.ACTIVE, "192.0.2.72"));
        createPolicyOnceRegionsArrive("""
                {"service": "canary", "regions": ["us-can-1", "us-can-2"],
                 "rules": [{"type": "WEIGHTED", "weights": {"us-can-1": 95, "us-can-2": 5}}]}""");
        String[] before = targets("canary");

        HttpResponse<String> badStep = fixtures.send("PUT", "/api/v1/routing/policies/canary/weights", TestTokens.operator(),
                "{\"weights\": {\"us-can-1\": 90, \"us-can-2\": 9.95}}", Map.of("If-Match", "\"1\""));
        assertThat(badStep.statusCode()).isEqualTo(400);
        assertThat(json(badStep).path("field").asString()).isEqualTo("weights.us-can-2");
        HttpResponse<String> raised = fixtures.send("PUT", "/api/v1/routing/policies/canary/weights", TestTokens.operator(),
                "{\"weights\": {\"us-can-1\": 90, \"us-can-2\": 10}}", Map.of("If-Match", "\"1\"", "X-Meridian-Reason", "rollout wave 2"));
        assertThat(raised.statusCode()).as(raised.body()).isEqualTo(200);
        assertThat(raised.headers().firstValue("ETag")).hasValue("\"2\"");
        await().atMost(WAIT).until(() -> engine.decide("canary", "8.8.8.8", false).tableVersion() > 0
                && fixtures.get("/api/v1/routing/tables/canary", TestTokens.viewer()).body().contains("\"us-can-2\":100"));

        String[] after = targets("canary");
        int moved = 0;
        int canary = 0;
        for (int i = 0; i < before.length; i++) {
            if (!before[i].equals(after[i])) {
                moved++;
                assertThat(after[i]).isEqualTo("us-can-2");
            }
            if (after[i].equals("us-can-2")) {
                canary++;
            }
        }
        assertThat(moved * 100.0 / before.length).isCloseTo(5.0, within(0.5));
        assertThat(canary * 100.0 / before.length).isCloseTo(10.0, within(0.5));
    }

    @Test
    void dnsAnswersWithTheSameDecisionOverUdpAndTcp() throws Exception {
        register(region("eu-dns-1", ResidencyZone.EU, "IE", 53.35, -6.26, RegionStatus.ACTIVE, "192.0.2.81"),
                region("ap-dns-1", ResidencyZone.APAC, "JP", 35.68, 139.69, RegionStatus.ACTIVE, "2001:db8::82"),
                region("us-dns-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.83"));
        createPolicyOnceRegionsArrive("""
                {"service": "www", "regions": ["eu-dns-1", "ap-dns-1", "us-dns-1"], "rules": [{"type": "LATENCY"}]}""");

        SimpleResolver udp = resolver(false);
        Message fromLoopback = udp.send(query("www.svc.meridian.test.", Type.A));
        assertThat(fromLoopback.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(address(fromLoopback)).as("a private resolver address: default location US").isEqualTo("192.0.2.83");
        assertThat(fromLoopback.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(5);

        SimpleResolver london = resolver(false);
        london.setEDNS(0, 1232, 0, List.of(new ClientSubnetOption(24, InetAddress.getByName("81.2.69.0"))));
        assertThat(address(london.send(query("www.svc.meridian.test.", Type.A)))).isEqualTo("192.0.2.81");
        SimpleResolver tokyo = resolver(true);
        tokyo.setEDNS(0, 1232, 0, List.of(new ClientSubnetOption(16, InetAddress.getByName("133.11.0.0"))));
        Message aaaa = tokyo.send(query("www.svc.meridian.test.", Type.AAAA));
        assertThat(aaaa.getSection(Section.ANSWER)).singleElement().satisfies(r -> assertThat(r.rdataToString()).isEqualTo("2001:db8:0:0:0:0:0:82"));

        assertThat(resolver(true).send(query("nothing-here.svc.meridian.test.", Type.A)).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(udp.send(query("www.example.org.", Type.A)).getRcode()).isEqualTo(Rcode.REFUSED);

        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(5000);
            byte[] garbage = {(byte) 0xab, (byte) 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 'x', 'y'};
            socket.send(new DatagramPacket(garbage, garbage.length, new InetSocketAddress("127.0.0.1", DNS_PORT)));
            DatagramPacket reply = new DatagramPacket(new byte[512], 512);
            socket.receive(reply);
            Message formerr = new Message(java.util.Arrays.copyOf(reply.getData(), reply.getLength()));
            assertThat(formerr.getHeader().getID()).isEqualTo(0xabcd);
            assertThat(formerr.getRcode()).isEqualTo(Rcode.FORMERR);
            socket.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, new InetSocketAddress("127.0.0.1", DNS_PORT)));
        }
        assertThat(address(udp.send(query("www.svc.meridian.test.", Type.A)))).as("still answering after malformed packets")
                .isEqualTo("192.0.2.83");
    }

    private String[] targets(String service) {
        String[] targets = new String[100_000];
        for (int i = 0; i < targets.length; i++) {
            int ip = 0x0a000000 + i;
            String client = (ip >>> 24) + "." + (ip >>> 16 & 0xff) + "." + (ip >>> 8 & 0xff) + "." + (ip & 0xff);
            targets[i] = engine.decide(service, client, false).target().value();
        }
        return targets;
    }

    private static Map<String, RoutingTable> readTables() {
        Map<String, CloudEvent> latest = new CompactedTopicReader(TestInfrastructure.get().kafka().bootstrapServers())
                .read(Topics.ROUTING_TABLE, Duration.ofSeconds(10));
        Map<String, RoutingTable> tables = new java.util.HashMap<>();
        latest.forEach((service, event) -> tables.put(service, MeridianEvents.data(event, RoutingTable.class)));
        return tables;
    }

    private static SimpleResolver resolver(boolean tcp) throws Exception {
        SimpleResolver resolver = new SimpleResolver(new InetSocketAddress("127.0.0.1", DNS_PORT));
        resolver.setTCP(tcp);
        resolver.setTimeout(Duration.ofSeconds(5));
        return resolver;
    }

    private static Message query(String name, int type) throws Exception {
        return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
    }

    private static String address(Message reply) {
        assertThat(reply.getRcode()).as(reply.toString()).isEqualTo(Rcode.NOERROR);
        return ((ARecord) reply.getSection(Section.ANSWER).getFirst()).getAddress().getHostAddress();
    }
}
