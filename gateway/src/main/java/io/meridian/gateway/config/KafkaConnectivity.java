package io.meridian.gateway.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.AbstractReactiveHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.stereotype.Component;

import reactor.core.publisher.Mono;

/**
 * Shows under {@code /actuator/health} whether the gateway reaches Kafka (where its routing table
 * comes from). Deliberately not part of readiness: the gateway serves from its last known good table
 * while Kafka is away.
 */
@Component("kafka")
class KafkaConnectivity extends AbstractReactiveHealthIndicator implements DisposableBean {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Admin admin;

    KafkaConnectivity(KafkaProperties kafka) {
        Map<String, Object> config = new HashMap<>(kafka.buildAdminProperties());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        this.admin = Admin.create(config);
    }

    @Override
    protected Mono<Health> doHealthCheck(Health.Builder builder) {
        var cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()));
        return Mono.fromCompletionStage(cluster.clusterId().toCompletionStage())
                .zipWith(Mono.fromCompletionStage(cluster.nodes().toCompletionStage()))
                .map(result -> builder.up().withDetail("clusterId", result.getT1()).withDetail("brokers", result.getT2().size()).build());
    }

    @Override
    public void destroy() {
        admin.close(TIMEOUT);
    }
}
