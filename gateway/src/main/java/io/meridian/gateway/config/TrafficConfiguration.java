package io.meridian.gateway.config;

import java.time.Duration;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.meridian.gateway.edge.ProblemWriter;
import io.meridian.common.geo.GeoIpLocator;
import io.meridian.gateway.table.RoutingTableConsumer;
import io.meridian.gateway.table.RoutingTableStore;
import io.meridian.gateway.traffic.FastPath;
import io.meridian.gateway.traffic.LiveTraffic;
import io.meridian.gateway.traffic.PassiveHealth;
import io.meridian.gateway.traffic.UpstreamDns;
import io.meridian.gateway.traffic.Upstreams;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import reactor.netty.http.HttpResources;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/** The live-traffic path and what it needs: tables, GeoIP, upstreams with their breakers, passive health. */
@Configuration(proxyBeanMethods = false)
class TrafficConfiguration {

    @Bean
    RoutingTableStore routingTableStore(TrafficProperties properties, MeterRegistry meters) {
        RoutingTableStore store = new RoutingTableStore(properties.stateDirectory());
        Gauge.builder("meridian.gateway.routing.tables", store, s -> s.all().size()).register(meters);
        return store;
    }

    @Bean
    RoutingTableConsumer routingTableConsumer(KafkaProperties kafka, RoutingTableStore store) {
        return new RoutingTableConsumer(kafka.buildConsumerProperties(), store);
    }

    @Bean(destroyMethod = "close")
    GeoIpLocator gatewayGeoIp(TrafficProperties properties) {
        return GeoIpLocator.openCompiled(properties.geoipDatabase(),
                new GeoIpLocator.Place(properties.defaultCountry(), properties.defaultLatitude(), properties.defaultLongitude()), 1 << 16);
    }

    @Bean
    Upstreams upstreams(TrafficProperties properties) {
        return new Upstreams(properties);
    }

    @Bean
    PassiveHealth passiveHealth(TrafficProperties properties, Upstreams upstreams, KafkaProperties kafka, MeterRegistry meters) {
        return new PassiveHealth(properties, upstreams, kafka.buildProducerProperties(), meters);
    }

    @Bean(destroyMethod = "dispose")
    ConnectionProvider upstreamConnections(TrafficProperties properties) {
        return ConnectionProvider.builder("meridian-upstreams")
                .maxConnections(properties.maxConnections())
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(properties.responseTimeout())
                // below the usual upstream keep-alive timeouts, so that a pooled connection is not reused as the server closes it
                .maxIdleTime(Duration.ofSeconds(20))
                .evictInBackground(Duration.ofSeconds(10))
                .build();
    }

    @Bean
    LiveTraffic liveTraffic(TrafficProperties properties, RoutingTableStore store, GeoIpLocator geo, Upstreams upstreams,
            PassiveHealth health, ConnectionProvider upstreamConnections, ProblemWriter problems, MeterRegistry meters) {
        HttpClient client = HttpClient.create(upstreamConnections)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) properties.connectTimeout().toMillis());
        if (!properties.dnsServers().isEmpty()) {
            // Reactor Netty resolves asynchronously already; it is only told which servers to ask, as the Netty path is
            client = client.resolver(UpstreamDns.resolvers(properties.dnsServerAddresses(),
                    HttpResources.get().onClient(true), (int) properties.connectTimeout().toMillis()));
        }
        client = client
                .responseTimeout(properties.responseTimeout())
                .followRedirect(false)
                .compress(false);
        return new LiveTraffic(properties, store, geo, upstreams, health, client, problems, meters);
    }

    /**
     * The live-traffic data path in plain Netty handlers ({@code LiveConnection}), installed into every connection of the
     * Reactor Netty server right after its HTTP codec; what it does not serve passes on to Reactor Netty and WebFlux.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnBooleanProperty(name = "meridian.gateway.traffic.fast-path", matchIfMissing = true)
    FastPath liveTrafficFastPath(LiveTraffic live, TrafficProperties properties) {
        return new FastPath(live, properties);
    }

    @Bean
    @ConditionalOnBooleanProperty(name = "meridian.gateway.traffic.fast-path", matchIfMissing = true)
    NettyServerCustomizer liveTrafficPipeline(FastPath fastPath) {
        return server -> server.doOnChannelInit((observer, channel, remote) -> fastPath.install(channel.pipeline()));
    }
}
