package io.meridian.gateway.edge;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.http.HttpStatus;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.gateway.config.GatewayProperties;
import reactor.core.publisher.Mono;

/**
 * Per-token rate limits on the control APIs: each bearer token gets a token bucket of
 * {@code meridian.gateway.rate-limit.burst} requests refilled at {@code requests-per-second}; beyond it
 * the answer is 429 problem+json with {@code Retry-After}, and nothing is forwarded. Runs after
 * authentication (the Spring Security chain is ordered -100), so only valid tokens get a bucket and an
 * invalid token cannot exhaust someone else's. The buckets live in this gateway instance.
 */
@Component
class TokenRateLimit implements WebFilter {

    private static final int MAX_BUCKETS = 100_000;

    private final GatewayProperties.RateLimit limit;
    private final ConcurrentHashMap<Long, Bucket> buckets = new ConcurrentHashMap<>();
    private final ProblemWriter problems;

    TokenRateLimit(GatewayProperties properties, ProblemWriter problems) {
        this.limit = properties.rateLimit();
        this.problems = problems;
    }

    /** A token bucket; tokens are kept in millionths so that refill needs no floating point. */
    static final class Bucket {
        private final long capacity;
        private final long perNanoMicros;
        private long tokens;
        private long lastNanos;

        Bucket(long capacity, double perSecond, long now) {
            this.capacity = capacity * 1_000_000;
            this.perNanoMicros = Math.max(1, (long) (perSecond * 1_000_000)); // millionths of a token per second
            this.tokens = this.capacity;
            this.lastNanos = now;
        }

        /** Takes one token; returns 0 if taken, else the nanoseconds until one is available. */
        synchronized long take(long now) {
            long elapsed = now - lastNanos;
            if (elapsed > 0) {
                long refill = (long) (elapsed / 1e9 * perNanoMicros);
                if (refill > 0) {
                    tokens = Math.min(capacity, tokens + refill);
                    lastNanos = now;
                }
            }
            if (tokens >= 1_000_000) {
                tokens -= 1_000_000;
                return 0;
            }
            return (long) ((1_000_000 - tokens) * 1e9 / perNanoMicros);
        }

        synchronized long remaining() {
            return tokens / 1_000_000;
        }
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (limit.requestsPerSecond() <= 0 || !exchange.getRequest().getPath().value().startsWith("/api/")) {
            return chain.filter(exchange);
        }
        return exchange.getPrincipal()
                .filter(JwtAuthenticationToken.class::isInstance)
                .map(principal -> ((JwtAuthenticationToken) principal).getToken().getTokenValue())
                .flatMap(token -> {
                    long key = RoutingDecider.clientKey(token.getBytes(StandardCharsets.US_ASCII));
                    long now = System.nanoTime();
                    if (buckets.size() > MAX_BUCKETS) {
                        buckets.clear(); // bounded memory under a flood of distinct (valid) tokens
                    }
                    Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(limit.burst(), limit.requestsPerSecond(), now));
                    long wait = bucket.take(now);
                    var headers = exchange.getResponse().getHeaders();
                    headers.set("RateLimit-Limit", Integer.toString(limit.burst()));
                    headers.set("RateLimit-Remaining", Long.toString(bucket.remaining()));
                    if (wait == 0) {
                        return chain.filter(exchange).thenReturn(Boolean.TRUE);
                    }
                    long seconds = Math.max(1, (wait + 999_999_999) / 1_000_000_000);
                    headers.set("Retry-After", Long.toString(seconds));
                    return problems.write(exchange, Problems.of(HttpStatus.TOO_MANY_REQUESTS, ProblemTypes.RATE_LIMITED, "Too many requests",
                            "This token may make " + limit.requestsPerSecond() + " requests per second (bursts of " + limit.burst()
                                    + "); retry in " + seconds + " s")).thenReturn(Boolean.TRUE);
                })
                .switchIfEmpty(Mono.defer(() -> chain.filter(exchange).thenReturn(Boolean.TRUE)))
                .then();
    }
}
