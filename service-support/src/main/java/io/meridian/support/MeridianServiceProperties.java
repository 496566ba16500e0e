package io.meridian.support;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings every Meridian service shares.
 *
 * @param apiBase     base path of the service's API, for example {@code /api/v1/regions}; the audit
 *                    log is served under it at {@code <apiBase>/audit}
 * @param issuer      issuer ({@code iss}) that bearer tokens must carry
 * @param audience    audience ({@code aud}) that bearer tokens must include
 * @param kafkaHealthTimeout how long the readiness check waits for the Kafka cluster to answer
 * @param topicPartitions partitions of the topics the service creates
 * @param topicReplicationFactor replication factor of the topics the service creates (1 on one broker)
 */
@ConfigurationProperties("meridian.service")
public record MeridianServiceProperties(
        @DefaultValue("/api/v1") String apiBase,
        @DefaultValue("https://meridian.local/dev") String issuer,
        @DefaultValue("meridian") String audience,
        @DefaultValue("2s") Duration kafkaHealthTimeout,
        @DefaultValue("3") int topicPartitions,
        @DefaultValue("1") short topicReplicationFactor) {
}
