package io.meridian.routing.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import io.meridian.routing.config.RoutingProperties;
import io.meridian.common.geo.GeoIpLocator;
import io.meridian.common.geo.IpLiterals;
import io.meridian.routing.table.RoutingTables;
import io.micrometer.core.instrument.MeterRegistry;

/** Runs the {@link DnsServer} with the service (unless {@code meridian.routing.dns.port} is 0). */
@Component
class DnsEndpoint implements SmartLifecycle {

    private final RoutingProperties.Dns properties;
    private final RoutingTables tables;
    private final GeoIpLocator geoIp;
    private final MeterRegistry meters;
    private volatile @Nullable DnsServer server;

    DnsEndpoint(RoutingProperties properties, RoutingTables tables, GeoIpLocator geoIp, MeterRegistry meters) {
        this.properties = properties.dns();
        this.tables = tables;
        this.geoIp = geoIp;
        this.meters = meters;
    }

    @Override
    public void start() {
        if (properties.port() == 0) {
            return;
        }
        byte[] bytes = IpLiterals.parse(properties.address());
        if (bytes == null) {
            throw new IllegalArgumentException("meridian.routing.dns.address must be an IP literal, was " + properties.address());
        }
        InetAddress address;
        try {
            address = InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
        DnsResponder responder = new DnsResponder(properties.zone(), properties.ttl().toSeconds(), tables::decider, tables::ready, geoIp,
                address);
        server = DnsServer.start(responder, tables::generation, address, properties.port(), properties.udpThreads(), properties.tcp(),
                properties.tcpIdleTimeout(), meters);
    }

    @Override
    public void stop() {
        DnsServer current = server;
        server = null;
        if (current != null) {
            current.close();
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    /** The UDP/TCP port the endpoint listens on, or 0 when disabled. */
    int port() {
        DnsServer current = server;
        return current == null ? 0 : current.port();
    }
}
