package io.meridian.gateway.traffic;

import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;

import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingDecision;
import io.meridian.common.routing.RoutingTable;
import io.meridian.gateway.config.TrafficProperties;
import io.meridian.gateway.edge.ProblemWriter;
import io.meridian.common.geo.GeoIpLocator;
import io.meridian.gateway.table.RoutingTableStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.timeout.ReadTimeoutException;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import reactor.netty.http.client.PrematureCloseException;
import reactor.netty.http.server.HttpServerRequest;

/**
 * The live-traffic path, as a decorator of the whole HTTP handler, ahead of everything WebFlux does
 * (exchange, observation, web filters, security, the control-API routes): for a request to a routed service it finds the client, decides from the routing table in
 * process, and forwards to the chosen region's upstream over a pooled Reactor Netty client, streaming
 * the response back. Requests for the control plane pass on untouched.
 *
 * <p>Per request: the client address ({@link ClientAddresses}), its location (GeoIP, cached per
 * network), the decision ({@link RoutingDecider}, from its place's compiled route), then the candidate regions in
 * order: the session's region if its cookie names one that may still serve it (a {@code DRAINING}
 * region keeps its sessions), the decision's target, then its fallbacks; all of them inside the
 * request's residency zone when it carries one. Regions whose circuit is open are skipped. At most
 * two regions are tried: the second after a connect failure, or, for idempotent methods only, after
 * a timeout, a connection closed before the response, or a 5xx. When no allowed region is left the
 * answer is 503 problem+json; a zone-tagged request never goes elsewhere.
 *
 * <p>Responses carry {@code X-Meridian-Region} (the region that answered or was tried last) and
 * {@code X-Meridian-Decision} (a short id that also goes upstream and into the debug log).
 */
public final class LiveTraffic implements HttpHandlerDecoratorFactory, Ordered {

    private static final Logger log = LoggerFactory.getLogger(LiveTraffic.class);

    /** Response header naming the region that served the request. */
    public static final String REGION_HEADER = "X-Meridian-Region";
    /** Response (and upstream request) header carrying the decision id. */
    public static final String DECISION_HEADER = "X-Meridian-Decision";
    // the same names for Netty's headers: an AsciiString keeps its hash and is copied into the encoder's buffer in one go
    static final io.netty.util.AsciiString REGION_NAME = io.netty.util.AsciiString.cached(REGION_HEADER);
    static final io.netty.util.AsciiString DECISION_NAME = io.netty.util.AsciiString.cached(DECISION_HEADER);
    private static final io.netty.util.AsciiString X_FORWARDED_HOST = io.netty.util.AsciiString.cached("X-Forwarded-Host");
    private static final io.netty.util.AsciiString X_FORWARDED_FOR = io.netty.util.AsciiString.cached("X-Forwarded-For");
    private static final io.netty.util.AsciiString X_FORWARDED_PROTO = io.netty.util.AsciiString.cached("X-Forwarded-Proto");
    private static final io.netty.util.AsciiString FORWARDED = io.netty.util.AsciiString.cached("Forwarded");
    private static final io.netty.util.AsciiString HTTP = io.netty.util.AsciiString.cached("http");

    static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT,
            HttpMethod.DELETE, HttpMethod.TRACE);
    static final List<CharSequence> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE, HttpHeaderNames.TRAILER,
            HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, HttpHeaderNames.HOST, HttpHeaderNames.CONTENT_LENGTH,
            io.netty.util.AsciiString.cached("proxy-connection"), HttpHeaderNames.EXPECT); // 100-continue is answered here; the body goes upstream whole
    private static final java.net.URI UNKNOWN_HOST = ProblemTypes.of("unknown-host");
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Why an attempt failed, and whether the next region may be tried. */
    private record Failure(Throwable error, String detail, boolean retryable, HttpStatus status) {
    }

    /** One forwarded request's state. */
    private final class Forward {
        final ServerHttpRequest request;
        final ServerHttpResponse response;
        final HttpMethod method;
        final String pathAndQuery;
        final io.netty.handler.codec.http.HttpHeaders headers;
        final byte @Nullable [] body;
        final List<Upstreams.Upstream> candidates;
        final String decisionId;
        final @Nullable String cookieToSet;
        final String sessionId;
        final @Nullable ResidencyZone zone;
        int next;
        int attempts;
        Upstreams.@Nullable Upstream last;

        Forward(ServerHttpRequest request, ServerHttpResponse response, HttpMethod method, String pathAndQuery, io.netty.handler.codec.http.HttpHeaders headers,
                byte @Nullable [] body, List<Upstreams.Upstream> candidates, String decisionId, @Nullable String cookieToSet,
                String sessionId, @Nullable ResidencyZone zone) {
            this.request = request;
            this.response = response;
            this.method = method;
            this.pathAndQuery = pathAndQuery;
            this.headers = headers;
            this.body = body;
            this.candidates = candidates;
            this.decisionId = decisionId;
            this.cookieToSet = cookieToSet;
            this.sessionId = sessionId;
            this.zone = zone;
        }
    }

    private record Answer(Upstreams.Upstream upstream, HttpClientResponse response, Connection connection) {
    }

    private final TrafficProperties properties;
    private final HostRouter hosts;
    private final ClientAddresses clients;
    private final GeoIpLocator geo;
    private final Upstreams upstreams;
    private final PassiveHealth health;
    private final HttpClient client;
    private final ProblemWriter problems;
    private final long maxBody;
    private final String cookieName;
    private final String cookiePrefix;
    private final Counter retried;
    private final Counter refused;
    private final Counter servedByReactor;
    private final Counter servedByNetty;
    private final RoutingTableStore tables;
    private final MeterRegistry meters;
    private final io.netty.util.AsciiString residencyName;

    public LiveTraffic(TrafficProperties properties, RoutingTableStore tables, GeoIpLocator geo, Upstreams upstreams, PassiveHealth health,
            HttpClient client, ProblemWriter problems, MeterRegistry meters) {
        this.properties = properties;
        this.hosts = new HostRouter(properties);
        this.clients = new ClientAddresses(properties.trustedProxies());
        this.geo = geo;
        this.upstreams = upstreams;
        this.health = health;
        this.client = client;
        this.problems = problems;
        this.maxBody = properties.maxBodySize().toBytes();
        this.cookieName = properties.stickyCookie();
        this.cookiePrefix = cookieName + "=";
        this.retried = meters.counter("meridian.gateway.retries");
        this.refused = meters.counter("meridian.gateway.refusals");
        // live requests by data path: "netty" (LiveConnection) or "reactor" (this decorator: connections handed over, WebSockets)
        this.servedByReactor = meters.counter("meridian.gateway.live.requests", "path", "reactor");
        this.servedByNetty = meters.counter("meridian.gateway.live.requests", "path", "netty");
        this.tables = tables;
        this.meters = meters;
        this.residencyName = io.netty.util.AsciiString.cached(properties.residencyHeader());
    }

    // ---- what the Netty data path (LiveConnection) shares with this one ----------------------------------------------

    HostRouter hosts() {
        return hosts;
    }

    TrafficProperties properties() {
        return properties;
    }

    PassiveHealth health() {
        return health;
    }

    ProblemWriter problems() {
        return problems;
    }

    Counter retried() {
        return retried;
    }

    Counter servedByNetty() {
        return servedByNetty;
    }

    /** A request found every connection its event loop may hold to {@code region} busy for the whole connect timeout. */
    void connectionLimitReached(String region) {
        meters.counter("meridian.gateway.upstream.connection-limit", "region", region).increment();
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    public HttpHandler apply(HttpHandler delegate) {
        return (request, response) -> {
            HostRouter.Match match = hosts.match(request.getHeaders().get(HttpHeaders.HOST), request.getPath().value());
            return switch (match.kind()) {
                case CONTROL -> delegate.handle(request, response);
                case MALFORMED -> problem(request, response, HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Bad request",
                        match.host());
                case UNKNOWN -> problem(request, response, HttpStatus.MISDIRECTED_REQUEST, UNKNOWN_HOST, "Unknown host",
                        "This gateway serves no service at host '" + match.host() + "'");
                case LIVE -> Mono.defer(() -> live(request, response, match)).onErrorResume(error -> unexpected(request, response, error));
            };
        };
    }

    /** Anything the live path did not turn into an answer itself: never a stack trace to the client. */
    private Mono<Void> unexpected(ServerHttpRequest request, ServerHttpResponse response, Throwable error) {
        if (error instanceof reactor.netty.channel.AbortedException || response.isCommitted()) {
            log.debug("Live request {} {} ended early: {}", request.getMethod(), request.getPath(), error.toString());
            return Mono.empty(); // the client went away, or the answer was already under way
        }
        String errorId = java.util.UUID.randomUUID().toString();
        log.error("Unexpected failure {} on live {} {}", errorId, request.getMethod(), request.getPath(), error);
        return problems.write(request, response, Problems.internal(errorId));
    }

    /** Why a live request is answered by the gateway itself: a problem, with the decision id when there was a decision. */
    record Refusal(HttpStatus status, java.net.URI type, String title, String detail, @Nullable String decisionId) {
        org.springframework.http.ProblemDetail problem() {
            return Problems.of(status, type, title, detail);
        }
    }

    /**
     * Everything decided about a live request before the first byte goes upstream: the candidate regions in order, the
     * headers to send, the decision id and session. Shared by both data paths ({@link LiveConnection} and this decorator).
     */
    record Plan(String service, List<Upstreams.Upstream> candidates, io.netty.handler.codec.http.HttpHeaders outgoing, String decisionId,
            @Nullable String cookieToSet, String sessionId, @Nullable String currentCookie, @Nullable ResidencyZone zone, long declaredLength,
            String pathAndQuery) {
    }

    /**
     * Decides a live request from its head alone: residency tag, client address, declared size, session, routing decision,
     * candidates, outgoing headers. Returns a {@link Refusal} for anything the gateway answers itself, else a {@link Plan}.
     */
    Object prepare(HostRouter.Match match, io.netty.handler.codec.http.HttpHeaders headers, java.net.@Nullable InetSocketAddress peer,
            String uri) {
        String service = match.service();
        RoutingTableStore.Entry view = service == null ? null : tables.get(service);
        if (view == null) {
            refused.increment();
            return new Refusal(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.UNAVAILABLE, "No routing table",
                    "The gateway has no routing table for service '" + service + "' yet; retry later", null);
        }
        if (uri.isEmpty() || uri.charAt(0) != '/') {
            return new Refusal(HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Bad request", "request target must be a path", null);
        }
        // residency: by route and by header; two different tags cannot both be honoured
        ResidencyZone zone = match.zone();
        List<String> tags = all(headers, residencyName);
        if (!tags.isEmpty()) {
            if (tags.size() > 1) {
                return new Refusal(HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Bad request",
                        properties.residencyHeader() + " may appear once", null);
            }
            ResidencyZone tagged = zone(tags.get(0));
            if (tagged == null) {
                return new Refusal(HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Bad request",
                        properties.residencyHeader() + " '" + ClientAddresses.printable(tags.get(0)) + "' is not a residency zone; one of "
                                + ResidencyZone.names(), null);
            }
            if (zone != null && zone != tagged) {
                return new Refusal(HttpStatus.BAD_REQUEST, ProblemTypes.RESIDENCY_VIOLATION, "Conflicting residency",
                        "This host keeps data in zone " + zone + " but the request is tagged for zone " + tagged, null);
            }
            zone = tagged;
        }
        List<String> forwarded = all(headers, FORWARDED);
        List<String> forwardedFor = all(headers, X_FORWARDED_FOR);
        ClientAddresses.Client client = clients.resolve(peer, forwarded.isEmpty() ? null : forwarded,
                forwardedFor.isEmpty() ? null : forwardedFor);
        if (client.error() != null || client.address() == null) {
            return new Refusal(HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Bad request",
                    client.error() == null ? "no client address" : client.error(), null);
        }
        long declared = -1;
        String length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (length != null) {
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                return new Refusal(HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Bad request", "malformed Content-Length", null);
            }
        }
        if (declared > maxBody) {
            return new Refusal(HttpStatus.CONTENT_TOO_LARGE, ProblemTypes.PAYLOAD_TOO_LARGE, "Payload too large",
                    "The request body is " + declared + " bytes; at most " + maxBody + " are accepted", null);
        }
        // session cookie: <16 hex session id>.<region>
        String sessionId = null;
        RegionId sessionRegion = null;
        String currentCookie = null;
        if (!cookieName.isEmpty()) {
            String cookie = currentCookie = cookieValue(all(headers, HttpHeaderNames.COOKIE));
            if (cookie != null && cookie.length() > 17 && cookie.charAt(16) == '.' && isHex(cookie, 16)
                    && RegionId.isValid(cookie.substring(17))) {
                sessionId = cookie.substring(0, 16);
                sessionRegion = RegionId.of(cookie.substring(17));
            }
        }
        if (sessionId == null) {
            sessionId = newSessionId();
        }
        var located = geo.locate(client.address(), client.text(), RoutingDecider.clientKey(sessionId.getBytes(StandardCharsets.US_ASCII)));
        var location = located.location();
        RoutingDecision decision = view.decider().decide(location, located.placeId(), located.clientKey(), false);
        List<Upstreams.Upstream> candidates = candidates(view, decision, sessionRegion, zone);
        String decisionId = decisionId();
        if (candidates.isEmpty()) {
            refused.increment();
            if (zone != null || decision.decidedBy() == RoutingDecision.DecidedBy.RESIDENCY_REFUSAL) {
                return new Refusal(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.RESIDENCY_VIOLATION, "No region in the residency zone",
                        "No healthy region " + (zone != null ? "in zone " + zone : "allowed by the residency of '" + service + "'")
                                + " can take this request, and it is never forwarded outside its zone; retry later", decisionId);
            }
            return new Refusal(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.UNAVAILABLE, "No healthy region",
                    "Service '" + service + "' has no healthy region for this client; retry later", decisionId);
        }
        String cookieToSet = cookieName.isEmpty() ? null : sessionId; // completed with the serving region once it is known
        io.netty.handler.codec.http.HttpHeaders outgoing = outgoingHeaders(headers, peer, client, decisionId);
        if (log.isDebugEnabled()) {
            log.debug("decision {} service={} client={} country={} decidedBy={} candidates={} zone={}", decisionId, service, client.text(),
                    location.country(), decision.decidedBy(), candidates.stream().map(Upstreams.Upstream::region).toList(), zone);
        }
        return new Plan(service, candidates, outgoing, decisionId, cookieToSet, sessionId, currentCookie, zone, declared, uri);
    }

    /** The {@code Set-Cookie} value for a plan served by {@code region}, or null when the client's cookie already says so. */
    @Nullable String sessionCookie(Plan plan, String region) {
        if (plan.cookieToSet() == null) {
            return null;
        }
        String value = plan.sessionId() + "." + region;
        return value.equals(plan.currentCookie()) ? null : cookieName + "=" + value + "; Path=/; HttpOnly; SameSite=Lax";
    }

    private Mono<Void> live(ServerHttpRequest request, ServerHttpResponse response, HostRouter.Match match) {
        servedByReactor.increment();
        HttpServerRequest nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request);
        Object prepared = prepare(match, nativeRequest.requestHeaders(), nativeRequest.remoteAddress(), nativeRequest.uri());
        if (prepared instanceof Refusal refusal) {
            if (refusal.decisionId() != null) {
                response.getHeaders().set(DECISION_HEADER, refusal.decisionId());
            }
            return problems.write(request, response, refusal.problem());
        }
        Plan plan = (Plan) prepared;
        HttpHeaders headers = request.getHeaders();
        HttpMethod method = HttpMethod.valueOf(request.getMethod().name());
        long declared = plan.declaredLength();
        boolean hasBody = declared > 0 || declared < 0 && headers.containsHeader(HttpHeaders.TRANSFER_ENCODING);
        String session = plan.cookieToSet();
        String sessionId = plan.sessionId();
        ResidencyZone zone = plan.zone();
        List<Upstreams.Upstream> candidates = plan.candidates();
        String decisionId = plan.decisionId();
        String pathAndQuery = plan.pathAndQuery();
        io.netty.handler.codec.http.HttpHeaders outgoing = plan.outgoing();
        if (method == HttpMethod.GET && WebSocketBridge.isUpgrade(headers)) {
            io.netty.handler.codec.http.HttpHeaders upstreamHeaders = WebSocketBridge.upstreamHeaders(outgoing, nativeRequest.requestHeaders());
            Forward upgrade = new Forward(request, response, method, pathAndQuery, upstreamHeaders, null, candidates, decisionId, session,
                    sessionId, zone);
            return websocket(upgrade, headers.getFirst("Sec-WebSocket-Protocol")).onErrorResume(FailureException.class, e -> failed(upgrade, e.failure));
        }
        if (!hasBody) {
            return forward(new Forward(request, response, method, pathAndQuery, outgoing, null, candidates, decisionId, session, sessionId, zone));
        }
        String sid = sessionId;
        ResidencyZone z = zone;
        return DataBufferUtils.join(request.getBody(), (int) Math.min(Integer.MAX_VALUE, maxBody))
                .map(buffer -> {
                    byte[] bytes = new byte[buffer.readableByteCount()];
                    buffer.read(bytes);
                    DataBufferUtils.release(buffer);
                    return bytes;
                })
                .defaultIfEmpty(new byte[0])
                .flatMap(bytes -> forward(new Forward(request, response, method, pathAndQuery, outgoing, bytes, candidates, decisionId, session, sid, z)))
                .onErrorResume(DataBufferLimitException.class, e -> problem(request, response, HttpStatus.CONTENT_TOO_LARGE,
                        ProblemTypes.PAYLOAD_TOO_LARGE, "Payload too large", "The request body is larger than " + maxBody + " bytes"));
    }

    /** The regions to try, in order, each reachable and inside the request's zone. */
    private List<Upstreams.Upstream> candidates(RoutingTableStore.Entry view, RoutingDecision decision, @Nullable RegionId sessionRegion,
            @Nullable ResidencyZone zone) {
        List<Upstreams.Upstream> out = new ArrayList<>(4);
        RoutingTable table = view.table();
        if (sessionRegion != null) {
            RoutingTable.RegionEntry region = view.regions().get(sessionRegion);
            // an existing session stays while its region serves existing traffic (DRAINING included) and is allowed
            if (region != null && region.status().servesExistingTraffic() && !region.fenced()
                    && region.healthScore() >= table.healthThreshold() && allowed(table, region, decision.clientZone(), zone)) {
                add(out, region);
            }
        }
        if (decision.routed() && decision.target() != null) {
            RoutingTable.RegionEntry target = view.regions().get(decision.target());
            if (target != null && (zone == null || target.zone() == zone)) {
                add(out, target);
            }
            for (RegionId id : decision.fallbacks()) {
                RoutingTable.RegionEntry fallback = view.regions().get(id);
                if (fallback != null && (zone == null || fallback.zone() == zone)) {
                    add(out, fallback);
                }
            }
        }
        return out;
    }

    private void add(List<Upstreams.Upstream> out, RoutingTable.RegionEntry region) {
        Upstreams.Upstream upstream = upstreams.of(region);
        if (upstream != null && !out.contains(upstream)) {
            out.add(upstream);
        }
    }

    /** The table's own residency (as {@link RoutingDecider} applies it) and the request's zone tag. */
    private static boolean allowed(RoutingTable table, RoutingTable.RegionEntry region, @Nullable ResidencyZone clientZone,
            @Nullable ResidencyZone zone) {
        if (zone != null && region.zone() != zone) {
            return false;
        }
        Set<ResidencyZone> tagged = table.residencyZones();
        if (tagged.isEmpty()) {
            return true;
        }
        ResidencyZone own = clientZone != null && tagged.contains(clientZone) ? clientZone : null;
        return own != null ? region.zone() == own : tagged.contains(region.zone());
    }

    // ---- forwarding ------------------------------------------------------------------------------------------------

    private Mono<Void> forward(Forward forward) {
        return attempt(forward).flatMap(answer -> write(forward, answer))
                .onErrorResume(FailureException.class, e -> failed(forward, e.failure));
    }

    /** The answer when no allowed region could take the request. */
    private Mono<Void> failed(Forward forward, Failure failure) {
        ServerHttpResponse response = forward.response;
        response.getHeaders().set(DECISION_HEADER, forward.decisionId);
        if (forward.last != null) {
            response.getHeaders().set(REGION_HEADER, forward.last.region.value());
        }
        String where = forward.zone == null ? "" : " in zone " + forward.zone;
        log.warn("decision {}: {} {} failed after {} attempt(s): {}", forward.decisionId, forward.method, forward.pathAndQuery,
                forward.attempts, failure.detail());
        return problem(forward.request, response, failure.status(), forward.zone != null && failure.status() == HttpStatus.SERVICE_UNAVAILABLE
                        ? ProblemTypes.RESIDENCY_VIOLATION : ProblemTypes.UNAVAILABLE, "Upstream unavailable",
                "No region" + where + " could answer (" + failure.detail() + "); tried " + forward.attempts + " of "
                        + forward.candidates.size() + " allowed regions");
    }

    /** The next candidate whose circuit lets a call through (its permission taken), or null. */
    private static Upstreams.@Nullable Upstream nextUpstream(Forward forward) {
        while (forward.next < forward.candidates.size()) {
            Upstreams.Upstream candidate = forward.candidates.get(forward.next++);
            if (candidate.breaker.tryAcquirePermission()) {
                return candidate;
            }
        }
        return null;
    }

    private static FailureException noneLeft(Forward forward) {
        String detail = forward.attempts == 0 ? "every allowed region's circuit is open" : "no other allowed region left";
        return new FailureException(new Failure(new IllegalStateException(detail), detail, false, HttpStatus.SERVICE_UNAVAILABLE));
    }

    /**
     * A WebSocket upgrade: the region's handshake first, then the client's ({@link WebSocketBridge}). A region that
     * cannot be reached or fails its handshake with a 5xx counts against its circuit and the next allowed region is
     * tried once; one that refuses it (4xx) answered, so the refusal is the answer (502, naming the status).
     */
    private Mono<Void> websocket(Forward forward, @Nullable String protocols) {
        Upstreams.Upstream target = nextUpstream(forward);
        if (target == null) {
            return Mono.error(noneLeft(forward));
        }
        if (forward.attempts > 0) {
            retried.increment();
        }
        forward.attempts++;
        forward.last = target;
        reactor.netty.http.server.HttpServerResponse downstream = ServerHttpResponseDecorator.getNativeResponse(forward.response);
        String url = (target.base.startsWith("https:") ? "wss:" + target.base.substring(6) : "ws:" + target.base.substring(5))
                + forward.pathAndQuery;
        long started = System.nanoTime();
        boolean[] upgraded = {false};
        return WebSocketBridge.bridge(client, url, forward.headers, protocols, downstream, chosen -> {
            upgraded[0] = true;
            target.succeeded(System.nanoTime() - started);
            String region = target.region.value();
            downstream.header(REGION_HEADER, region).header(DECISION_HEADER, forward.decisionId);
            if (forward.cookieToSet != null) {
                String value = forward.sessionId + "." + region;
                if (!value.equals(cookieValue(forward.request.getHeaders().get(HttpHeaders.COOKIE)))) {
                    downstream.addHeader(HttpHeaders.SET_COOKIE, cookieName + "=" + value + "; Path=/; HttpOnly; SameSite=Lax");
                }
            }
            return downstream;
        }).onErrorResume(error -> {
            if (upgraded[0]) {
                log.debug("decision {}: WebSocket to {} ended with {}", forward.decisionId, target.region, error.toString());
                return Mono.empty();
            }
            long took = System.nanoTime() - started;
            Integer status = error instanceof io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException refused
                    && refused.response() != null ? refused.response().status().code() : null;
            if (status != null && status < 500) {
                target.succeeded(took);
                return Mono.error(new FailureException(new Failure(error, "region " + target.region + " refused the WebSocket handshake: HTTP "
                        + status, false, HttpStatus.BAD_GATEWAY)));
            }
            Failure failure = status != null
                    ? new Failure(error, "WebSocket handshake with " + target.region + ": HTTP " + status, true, HttpStatus.BAD_GATEWAY)
                    : classify(error, HttpMethod.GET);
            int streak = target.failed(took, error, failure.detail());
            health.failed(target, streak, failure.detail());
            if (forward.attempts < 2) {
                return websocket(forward, protocols).onErrorResume(FailureException.class, e -> Mono.error(new FailureException(
                        new Failure(e.failure.error(), failure.detail() + "; then " + e.failure.detail(), false, e.failure.status()))));
            }
            return Mono.error(new FailureException(failure));
        });
    }

    private static final class FailureException extends RuntimeException {
        final Failure failure;

        FailureException(Failure failure) {
            super(failure.detail(), null, false, false);
            this.failure = failure;
        }
    }

    /** Sends the request to the next candidate whose circuit lets it through; retries once elsewhere. */
    private Mono<Answer> attempt(Forward forward) {
        Upstreams.Upstream upstream = nextUpstream(forward);
        if (upstream == null) {
            return Mono.error(noneLeft(forward));
        }
        if (forward.attempts > 0) {
            retried.increment();
        }
        forward.attempts++;
        forward.last = upstream;
        Upstreams.Upstream target = upstream;
        long started = System.nanoTime();
        boolean[] settled = new boolean[1];
        Mono<Answer> call = client.request(forward.method)
                .uri(upstream.base + forward.pathAndQuery)
                .send((req, out) -> {
                    req.headers(forward.headers);
                    if (forward.body == null) {
                        return out;
                    }
                    req.header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(forward.body.length));
                    return out.send(Mono.just(Unpooled.wrappedBuffer(forward.body)));
                })
                .responseConnection((response, connection) -> Mono.just(new Answer(target, response, connection)))
                .next();
        return call.<Object>map(answer -> answer)
                .onErrorResume(error -> Mono.just(classify(error, forward.method)))
                .doOnCancel(() -> {
                    if (!settled[0]) {
                        settled[0] = true;
                        target.breaker.releasePermission();
                    }
                })
                .flatMap(result -> {
                    settled[0] = true;
                    long took = System.nanoTime() - started;
                    if (result instanceof Failure failure) {
                        int streak = target.failed(took, failure.error(), failure.detail());
                        health.failed(target, streak, failure.detail());
                        if (failure.retryable() && forward.attempts < 2) {
                            return attempt(forward).onErrorResume(FailureException.class, e -> Mono.error(new FailureException(
                                    new Failure(e.failure.error(), failure.detail() + "; then " + e.failure.detail(), false, e.failure.status()))));
                        }
                        return Mono.error(new FailureException(failure));
                    }
                    Answer answer = (Answer) result;
                    int status = answer.response().status().code();
                    if (status >= 500) {
                        String detail = "HTTP " + status + " from " + target.region;
                        int streak = target.failed(took, new UpstreamStatusException(status), detail);
                        health.failed(target, streak, detail);
                        if (IDEMPOTENT.contains(forward.method) && forward.attempts < 2 && hasNext(forward)) {
                            answer.connection().dispose();
                            return attempt(forward).onErrorResume(FailureException.class, e -> Mono.error(new FailureException(
                                    new Failure(e.failure.error(), detail + "; then " + e.failure.detail(), false, e.failure.status()))));
                        }
                    } else {
                        target.succeeded(took);
                    }
                    return Mono.just(answer);
                });
    }

    private static boolean hasNext(Forward forward) {
        for (int i = forward.next; i < forward.candidates.size(); i++) {
            if (forward.candidates.get(i).breaker.getState() != io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN) {
                return true;
            }
        }
        return false;
    }

    /** A 5xx answer, as the breaker records it. */
    static final class UpstreamStatusException extends RuntimeException {
        UpstreamStatusException(int status) {
            super("HTTP " + status, null, false, false);
        }
    }

    private static Failure classify(Throwable error, HttpMethod method) {
        boolean idempotent = IDEMPOTENT.contains(method);
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t.getClass().getSimpleName().contains("PoolAcquireTimeout")) {
                // nothing was sent: safe to try elsewhere whatever the method
                return new Failure(error, "connect failed: " + t.getMessage(), true, HttpStatus.SERVICE_UNAVAILABLE);
            }
            if (t instanceof ReadTimeoutException || t instanceof java.util.concurrent.TimeoutException) {
                return new Failure(error, "timed out waiting for the response", idempotent, HttpStatus.GATEWAY_TIMEOUT);
            }
            if (t instanceof PrematureCloseException) {
                return new Failure(error, "connection closed before the response", idempotent, HttpStatus.BAD_GATEWAY);
            }
            if (t instanceof java.io.IOException) {
                return new Failure(error, "I/O error: " + t.getMessage(), idempotent, HttpStatus.BAD_GATEWAY);
            }
        }
        return new Failure(error, "upstream error: " + error, false, HttpStatus.BAD_GATEWAY);
    }

    private Mono<Void> write(Forward forward, Answer answer) {
        ServerHttpResponse response = forward.response;
        HttpClientResponse upstream = answer.response();
        response.setStatusCode(HttpStatusCode.valueOf(upstream.status().code()));
        HttpHeaders out = response.getHeaders();
        for (Map.Entry<String, String> header : upstream.responseHeaders()) {
            if (!hopByHop(header.getKey())) {
                out.add(header.getKey(), header.getValue());
            }
        }
        String contentLength = upstream.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
        if (contentLength != null) {
            out.set(HttpHeaders.CONTENT_LENGTH, contentLength);
        }
        String region = answer.upstream().region.value();
        out.set(REGION_HEADER, region);
        out.set(DECISION_HEADER, forward.decisionId);
        if (forward.cookieToSet != null) {
            String current = cookieValue(forward.request.getHeaders().get(HttpHeaders.COOKIE));
            String value = forward.sessionId + "." + region;
            if (!value.equals(current)) {
                out.add(HttpHeaders.SET_COOKIE, cookieName + "=" + value + "; Path=/; HttpOnly; SameSite=Lax");
            }
        }
        NettyDataBufferFactory factory = (NettyDataBufferFactory) response.bufferFactory();
        return response.writeWith(answer.connection().inbound().receive().retain().map(factory::wrap))
                .doOnCancel(() -> answer.connection().dispose());
    }

    /** Whether a header is hop-by-hop (never forwarded); compares without making Strings. */
    /** Fits a quoted-string of RFC 7239 as it is: visible ASCII without quote or backslash. */
    private static boolean quotable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    static boolean hopByHop(CharSequence name) {
        for (CharSequence hop : HOP_BY_HOP) {
            if (hop.length() == name.length() && io.netty.util.AsciiString.contentEqualsIgnoreCase(hop, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean namedIn(@Nullable List<String> named, CharSequence name) {
        if (named != null) {
            for (String token : named) {
                if (io.netty.util.AsciiString.contentEqualsIgnoreCase(token, name)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The headers sent upstream: the client's minus hop-by-hop ones, plus this hop's forwarding headers and the decision id. */
    static io.netty.handler.codec.http.HttpHeaders outgoingHeaders(io.netty.handler.codec.http.HttpHeaders in,
            java.net.@Nullable InetSocketAddress peer, ClientAddresses.Client client, String decisionId) {
        // one pass over the client's headers, leaving out hop-by-hop ones and those the client named in Connection
        // (RFC 9110 7.6.1); cheaper than copying everything and removing a dozen names again
        List<String> named = null;
        for (String connection : all(in, HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                String name = token.strip();
                if (!name.isEmpty()) {
                    if (named == null) {
                        named = new ArrayList<>(2);
                    }
                    named.add(name);
                }
            }
        }
        io.netty.handler.codec.http.HttpHeaders out = new io.netty.handler.codec.http.DefaultHttpHeaders(false);
        for (var it = in.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence name = header.getKey();
            if (!hopByHop(name) && !namedIn(named, name)) {
                out.add(name, header.getValue());
            }
        }
        String host = in.get(HttpHeaderNames.HOST);
        if (host != null) {
            out.set(X_FORWARDED_HOST, host);
        }
        String peerText = peer == null || peer.getAddress() == null ? client.text() : peer.getAddress().getHostAddress();
        List<String> forwardedFor = all(in, X_FORWARDED_FOR);
        out.set(X_FORWARDED_FOR, forwardedFor.isEmpty() ? peerText : String.join(", ", forwardedFor) + ", " + peerText);
        out.set(X_FORWARDED_PROTO, HTTP);
        // RFC 7239: this hop's element appended to what earlier proxies wrote (all their lines, in order)
        String element = "for=" + ClientAddresses.node(peerText) + ";proto=http" + (host != null && quotable(host) ? ";host=\"" + host + "\"" : "");
        List<String> earlier = all(in, FORWARDED);
        out.set(FORWARDED, earlier.isEmpty() ? element : String.join(", ", earlier) + ", " + element);
        out.set(DECISION_NAME, decisionId);
        return out;
    }

    // ---- small helpers ---------------------------------------------------------------------------------------------

    /** Every value of {@code name}; most headers asked for are absent, and a hash lookup answers that without a list. */
    private static List<String> all(io.netty.handler.codec.http.HttpHeaders headers, CharSequence name) {
        return headers.contains(name) ? headers.getAll(name) : List.of();
    }

    @Nullable String cookieValue(@Nullable List<String> cookieHeaders) {
        if (cookieHeaders == null) {
            return null;
        }
        for (String header : cookieHeaders) {
            int from = 0;
            while (from < header.length()) {
                int at = header.indexOf(cookiePrefix, from);
                if (at < 0) {
                    break;
                }
                if (at == 0 || header.charAt(at - 1) == ' ' || header.charAt(at - 1) == ';') {
                    int start = at + cookiePrefix.length();
                    int end = header.indexOf(';', start);
                    return header.substring(start, end < 0 ? header.length() : end).strip();
                }
                from = at + 1;
            }
        }
        return null;
    }

    private static boolean isHex(String text, int length) {
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static String newSessionId() {
        long value = ThreadLocalRandom.current().nextLong();
        char[] out = new char[16];
        for (int i = 15; i >= 0; i--) {
            out[i] = HEX[(int) (value & 0xf)];
            value >>>= 4;
        }
        return new String(out);
    }

    /** A short id for a decision: 8 characters of base 32. */
    private static String decisionId() {
        long value = ThreadLocalRandom.current().nextLong();
        char[] out = new char[8];
        String alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
        for (int i = 0; i < 8; i++) {
            out[i] = alphabet.charAt((int) (value & 31));
            value >>>= 5;
        }
        return new String(out);
    }

    private static @Nullable ResidencyZone zone(String value) {
        String name = value.strip();
        for (ResidencyZone zone : ResidencyZone.values()) {
            if (zone.name().equals(name)) {
                return zone;
            }
        }
        return null;
    }

    private Mono<Void> problem(ServerHttpRequest request, ServerHttpResponse response, HttpStatus status, java.net.URI type, String title,
            String detail) {
        return problems.write(request, response, Problems.of(status, type, title, detail));
    }
}
