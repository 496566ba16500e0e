package io.meridian.gateway.traffic;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.ResidencyZone;
import io.meridian.gateway.config.TrafficProperties;
import io.meridian.common.geo.IpLiterals;

/**
 * Tells live traffic from the control-plane front door by the {@code Host} header: a configured route
 * host is live traffic for its service; the gateway's own address (an IP literal, {@code localhost}, a
 * control host) reaches the control APIs, or the default service outside the control paths; any
 * other host name is unknown (421), and a malformed or repeated {@code Host} is a bad request (400).
 */
final class HostRouter {

    enum Kind {
        LIVE, CONTROL, UNKNOWN, MALFORMED
    }

    record Match(Kind kind, @Nullable String service, @Nullable ResidencyZone zone, String host) {
    }

    private static final Match CONTROL = new Match(Kind.CONTROL, null, null, "");
    private static final List<String> CONTROL_PATHS = List.of("/api/", "/actuator", "/v3/api-docs", "/swagger-ui", "/webjars");

    private final Map<String, Match> routes = new HashMap<>();
    private final Set<String> controlHosts = new HashSet<>();
    private final @Nullable Match defaultService;

    HostRouter(TrafficProperties properties) {
        for (TrafficProperties.Route route : properties.routes()) {
            String host = route.host().toLowerCase(Locale.ROOT);
            if (!validName(host, 0, host.length())) {
                throw new IllegalArgumentException("meridian.gateway.traffic.routes: '" + route.host() + "' is not a host name");
            }
            routes.put(host, new Match(Kind.LIVE, route.service(), route.zone(), host));
        }
        controlHosts.add("localhost");
        properties.controlHosts().forEach(h -> controlHosts.add(h.toLowerCase(Locale.ROOT)));
        defaultService = properties.defaultService() == null ? null : new Match(Kind.LIVE, properties.defaultService(), null, "");
    }

    /** What a request with these {@code Host} header values and this path is. */
    Match match(@Nullable List<String> hostHeaders, String path) {
        if (hostHeaders == null || hostHeaders.isEmpty()) {
            return own(path);
        }
        if (hostHeaders.size() > 1) {
            return new Match(Kind.MALFORMED, null, null, "more than one Host header");
        }
        String value = hostHeaders.get(0);
        int length = value.length();
        if (length == 0 || length > 260) {
            return new Match(Kind.MALFORMED, null, null, "empty or overlong Host header");
        }
        int end;
        if (value.charAt(0) == '[') {
            end = value.indexOf(']');
            if (end < 0 || !validPort(value, end + 1) || IpLiterals.parse(value.substring(1, end)) == null) {
                return new Match(Kind.MALFORMED, null, null, "Host '" + ClientAddresses.printable(value) + "' is malformed");
            }
            return own(path);
        }
        end = value.indexOf(':');
        if (end < 0) {
            end = length;
        } else if (!validPort(value, end)) {
            return new Match(Kind.MALFORMED, null, null, "Host '" + ClientAddresses.printable(value) + "' is malformed");
        }
        if (!validName(value, 0, end)) {
            return new Match(Kind.MALFORMED, null, null, "Host '" + ClientAddresses.printable(value) + "' is malformed");
        }
        String name = value.substring(0, end);
        Match route = routes.get(name);
        if (route == null) {
            name = name.toLowerCase(Locale.ROOT);
            route = routes.get(name);
        }
        if (route != null) {
            return route;
        }
        if (controlHosts.contains(name) || isIpv4(name)) {
            return own(path);
        }
        return new Match(Kind.UNKNOWN, null, null, name);
    }

    private Match own(String path) {
        if (defaultService == null || isControlPath(path)) {
            return CONTROL;
        }
        return defaultService;
    }

    static boolean isControlPath(String path) {
        for (String prefix : CONTROL_PATHS) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return path.equals("/api");
    }

    private static boolean isIpv4(String name) {
        char last = name.charAt(name.length() - 1);
        return last >= '0' && last <= '9' && IpLiterals.parse(name) != null;
    }

    private static boolean validPort(String value, int colon) {
        if (colon == value.length()) {
            return true;
        }
        if (value.charAt(colon) != ':' || value.length() - colon - 1 > 5 || value.length() - colon - 1 == 0) {
            return false;
        }
        for (int i = colon + 1; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean validName(String value, int from, int to) {
        if (to - from == 0 || to - from > 253) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }
}
