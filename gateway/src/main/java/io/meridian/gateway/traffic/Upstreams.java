package io.meridian.gateway.traffic;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.jspecify.annotations.Nullable;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.meridian.common.region.RegionId;
import io.meridian.common.routing.RoutingTable;
import io.meridian.gateway.config.TrafficProperties;
import io.meridian.common.geo.IpLiterals;

/**
 * Each region's upstream: its base URL, its circuit breaker (one per region, resilience4j) and the
 * counters passive health reports from. Created on first use and kept for the gateway's lifetime, so
 * a breaker's state survives routing-table updates.
 */
public final class Upstreams {

    /** One region's upstream. */
    public static final class Upstream {
        final RegionId region;
        final String base;
        final CircuitBreaker breaker;
        final AtomicInteger consecutiveFailures = new AtomicInteger();
        final LongAdder successes = new LongAdder();
        final LongAdder failures = new LongAdder();
        final LongAdder latencyNanos = new LongAdder();
        volatile @Nullable String lastFailure;
        /** Host, port, scheme and {@code Host} header value of {@link #base}, parsed once for the Netty data path. */
        final String host;
        final int port;
        final boolean tls;
        final String authority;

        Upstream(RegionId region, String base, CircuitBreaker breaker) {
            this.region = region;
            this.base = base;
            this.breaker = breaker;
            URI uri = URI.create(base);
            this.tls = "https".equals(uri.getScheme());
            String h = uri.getHost();
            this.host = h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
            this.port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
            this.authority = uri.getRawAuthority();
        }

        /** The region. */
        public RegionId region() {
            return region;
        }

        /** The base URL requests are sent to (no trailing slash). */
        public String base() {
            return base;
        }

        /** The region's circuit breaker. */
        public CircuitBreaker breaker() {
            return breaker;
        }

        void succeeded(long nanos) {
            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
            if (consecutiveFailures.get() != 0) {
                consecutiveFailures.set(0); // read first: every event loop writing the shared line on each success costs
            }
            successes.increment();
            latencyNanos.add(nanos);
        }

        int failed(long nanos, Throwable why, String detail) {
            breaker.onError(nanos, TimeUnit.NANOSECONDS, why);
            failures.increment();
            latencyNanos.add(nanos);
            lastFailure = detail;
            return consecutiveFailures.incrementAndGet();
        }
    }

    private final Map<String, URI> configured;
    private final int defaultPort;
    private final CircuitBreakerRegistry breakers;
    private final Map<RegionId, Upstream> byRegion = new ConcurrentHashMap<>();

    public Upstreams(TrafficProperties properties) {
        this.configured = properties.upstreams();
        this.defaultPort = properties.upstreamPort();
        TrafficProperties.Breaker b = properties.breaker();
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(b.slidingWindowSize())
                .minimumNumberOfCalls(b.minimumCalls())
                .failureRateThreshold(b.failureRateThreshold())
                .waitDurationInOpenState(b.waitInOpenState())
                .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls())
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .recordExceptions(Throwable.class)
                .maxWaitDurationInHalfOpenState(Duration.ZERO)
                .build();
        this.breakers = CircuitBreakerRegistry.of(config);
    }

    /** The breakers, for metrics and state-change listeners. */
    public CircuitBreakerRegistry breakers() {
        return breakers;
    }

    /** Every upstream used so far. */
    public Iterable<Upstream> all() {
        return byRegion.values();
    }

    /** The upstream of {@code region}, or null if the gateway has no way to reach it. */
    public @Nullable Upstream of(RoutingTable.RegionEntry region) {
        Upstream known = byRegion.get(region.id());
        if (known != null) {
            return known;
        }
        String base = base(region);
        if (base == null) {
            return null;
        }
        return byRegion.computeIfAbsent(region.id(), id -> new Upstream(id, base, breakers.circuitBreaker(id.value())));
    }

    private @Nullable String base(RoutingTable.RegionEntry region) {
        URI uri = configured.get(region.id().value());
        if (uri != null) {
            String text = uri.toString();
            return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        }
        for (String address : region.addresses()) {
            byte[] bytes = IpLiterals.parse(address);
            if (bytes != null) {
                return "http://" + (bytes.length == 16 ? "[" + address + "]" : address) + ":" + defaultPort;
            }
        }
        return null;
    }
}
