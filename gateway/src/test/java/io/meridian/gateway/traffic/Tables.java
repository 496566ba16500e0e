package io.meridian.gateway.traffic;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventSerializer;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;
import io.meridian.common.time.HybridLogicalClock;

/** Routing tables as routing-service compiles them, and their publication on the real topic. */
final class Tables {

    static final Map<String, ResidencyZone> COUNTRY_ZONES = Map.of("GB", ResidencyZone.UK, "DE", ResidencyZone.EU, "NL", ResidencyZone.EU,
            "BR", ResidencyZone.BR, "JP", ResidencyZone.APAC, "US", ResidencyZone.US);
    private static final AtomicLong VERSION = new AtomicLong(System.currentTimeMillis() * 1000);
    private static final HybridLogicalClock CLOCK = HybridLogicalClock.system();

    private Tables() {
    }

    static RoutingTable.RegionEntry region(String id, ResidencyZone zone, double lat, double lon, RegionStatus status) {
        return new RoutingTable.RegionEntry(RegionId.of(id), zone, lat, lon, status, false, 1.0, List.of("127.0.0.1"));
    }

    static RoutingTable.Rule geographic(Map<String, List<String>> countries) {
        Map<String, List<RegionId>> mapped = new java.util.HashMap<>();
        countries.forEach((country, ids) -> mapped.put(country, ids.stream().map(RegionId::of).toList()));
        return new RoutingTable.Rule(RuleType.GEOGRAPHIC, 0.5, null, mapped, Map.of(), Map.of(), 0);
    }

    static RoutingTable.Rule weighted(Map<String, Integer> perMille) {
        return new RoutingTable.Rule(RuleType.WEIGHTED, 0.5, null, Map.of(), Map.of(), perMille, 0);
    }

    static RoutingTable table(String service, Set<ResidencyZone> residency, List<RoutingTable.RegionEntry> regions, RoutingTable.Rule... rules) {
        return new RoutingTable(service, VERSION.incrementAndGet(), Instant.now(), 1, residency, regions, List.of(rules), List.of(),
                COUNTRY_ZONES, Map.of(), Map.of(), 0.5);
    }

    static void publish(String bootstrapServers, RoutingTable table) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (KafkaProducer<String, CloudEvent> producer = new KafkaProducer<>(config, new StringSerializer(), new CloudEventSerializer())) {
            producer.send(new ProducerRecord<>(Topics.ROUTING_TABLE, table.service(), MeridianEvents.event(EventTypes.ROUTING_TABLE_COMPILED,
                    URI.create("/meridian/routing-service"), table.service(), table.version(), CLOCK.now(), table))).get();
        } catch (Exception e) {
            throw new IllegalStateException("could not publish the routing table of " + table.service(), e);
        }
    }
}
