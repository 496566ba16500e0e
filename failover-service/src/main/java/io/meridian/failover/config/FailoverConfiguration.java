package io.meridian.failover.config;

import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.meridian.failover.database.ManagedDatabases;
import io.meridian.failover.host.HostAdapter;
import io.meridian.failover.host.LocalHostAdapter;
import io.meridian.failover.topology.Topology;

/** The adapters failover-service acts through, and the seeding of the configured clusters. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(FailoverProperties.class)
class FailoverConfiguration {

    @Bean(destroyMethod = "close")
    ManagedDatabases managedDatabases(FailoverProperties properties) {
        return new ManagedDatabases(properties.database().username(), properties.database().password());
    }

    /**
     * The local stack's host adapter. A deployment on Kubernetes or a cloud provides its own {@link HostAdapter}
     * bean (pod deletion and StatefulSet scaling, or the provider's stop-instance API) and this one backs off.
     */
    @Bean
    @ConditionalOnMissingBean
    HostAdapter localHostAdapter() {
        return new LocalHostAdapter();
    }

    @Bean
    ApplicationRunner seedConfiguredClusters(Topology topology, FailoverProperties properties) {
        return args -> topology.seed(properties.clusters());
    }
}
