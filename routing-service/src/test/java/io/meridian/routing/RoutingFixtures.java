package io.meridian.routing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.failover.FailoverEvent;
import io.meridian.common.region.Capacity;
import io.meridian.common.region.GeoLocation;
import io.meridian.common.region.HealthObservation;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionChanged;
import io.meridian.common.region.RegionEndpoints;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.kafka.EventPublisher;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What the integration tests do the way other services and operators would: events on Kafka, calls over HTTP. */
public final class RoutingFixtures {

    static final URI REGION_SERVICE = URI.create("/meridian/region-service");
    static final JsonMapper JSON = JsonMapper.builder().build();

    private final EventPublisher events;
    private final HybridLogicalClock clock;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public RoutingFixtures(EventPublisher events, HybridLogicalClock clock, int port) {
        this.events = events;
        this.clock = clock;
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /** A region at a place, with its ingress on an IP literal. */
    public static Region region(String id, ResidencyZone zone, String country, double latitude, double longitude, RegionStatus status,
            String ingressIp) {
        RegionEndpoints endpoints = new RegionEndpoints(URI.create("https://k8s." + id + ".example"), null, List.of(),
                new RegionEndpoints.ObjectStore(URI.create("https://s3." + id + ".example"), "bucket-" + id),
                URI.create("http://" + (ingressIp.contains(":") ? "[" + ingressIp + "]" : ingressIp) + ":8080"));
        return new Region(RegionId.of(id), id, "aws", new GeoLocation(latitude, longitude, country), zone, Set.of(), status, endpoints,
                new Capacity(8, 32), Map.of());
    }

    /** Publishes a region as region-service would (the whole region, keyed by id, on the compacted topic). */
    public void publishRegion(Region region, long version) throws Exception {
        RegionChanged.Change change = version == 1 ? RegionChanged.Change.REGISTERED : RegionChanged.Change.STATUS_CHANGED;
        RegionChanged data = new RegionChanged(region, version, change, null, "test", "test");
        events.publish(Topics.REGION_EVENTS, MeridianEvents.event(version == 1 ? EventTypes.REGION_UPSERTED : EventTypes.REGION_STATUS_CHANGED,
                REGION_SERVICE, region.id().value(), version, clock.now(), data)).get(10, TimeUnit.SECONDS);
    }

    /** Publishes a health observation as a prober or the gateway would. */
    public void observe(RegionId region, boolean healthy) throws Exception {
        HealthObservation observation = new HealthObservation(region, "test-prober@us-east-1", healthy, 12.0, Instant.now(),
                healthy ? "HTTP 200" : "HTTP 503");
        events.publish(Topics.HEALTH_OBSERVATIONS, MeridianEvents.event(EventTypes.HEALTH_OBSERVED, URI.create("/meridian/failover-service"),
                region.value(), System.nanoTime(), clock.now(), observation)).get(10, TimeUnit.SECONDS);
    }

    /** Publishes a failover step as failover-service would. */
    public void failover(String operation, FailoverEvent.Step step, RegionId region, long version) throws Exception {
        FailoverEvent event = new FailoverEvent(operation, step, region, null, Instant.now(), "test");
        events.publish(Topics.FAILOVER_EVENTS, MeridianEvents.event(EventTypes.FAILOVER_STEP, URI.create("/meridian/failover-service"),
                operation, version, clock.now(), event)).get(10, TimeUnit.SECONDS);
    }

    public HttpResponse<String> get(String path, String token) throws Exception {
        return send("GET", path, token, null, Map.of());
    }

    public HttpResponse<String> send(String method, String path, String token, @Nullable Object body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
        headers.forEach(request::header);
        if (body != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body)));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Creates a policy as an operator, retrying while its regions have not arrived from the region topic yet. */
    public void createPolicy(String policy) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            HttpResponse<String> response = send("POST", "/api/v1/routing/policies", io.meridian.testsupport.TestTokens.operator(), policy,
                    Map.of());
            if (response.statusCode() == 201) {
                return;
            }
            if (!response.body().contains("unknown region") || System.nanoTime() > deadline) {
                throw new IllegalStateException("policy not created: " + response.statusCode() + " " + response.body());
            }
            Thread.onSpinWait();
        }
    }

    public static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }
}
