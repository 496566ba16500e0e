package io.meridian.routing.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;

import io.meridian.common.events.Topics;
import io.meridian.stack.Ports;
import io.meridian.stack.kafka.KafkaBroker;
import io.meridian.support.kafka.TopicProvisioner;

/**
 * The routing table lives on a compacted topic: a broker that comes up after the service, or a topic the
 * broker auto-created with the delete policy, must still end with a compacted topic.
 */
class TopicProvisionerTests {

    @Test
    void createsTheTopicsOnceALateBrokerComesUpAndCompactsAnAutoCreatedOne() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "meridian-topics-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = Ports.freePort();
        String bootstrap = "127.0.0.1:" + port;
        KafkaAdmin admin = new KafkaAdmin(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000));
        admin.setFatalIfBrokerNotAvailable(false);
        admin.setOperationTimeout(3);
        admin.setModifyTopicConfigs(true);
        NewTopic table = TopicBuilder.name(Topics.ROUTING_TABLE).partitions(1).replicas(1)
                .config(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT).build();
        NewTopic other = TopicBuilder.name("meridian.provisioner-probe").partitions(1).replicas(1).build();
        TopicProvisioner late = new TopicProvisioner(admin, List.of(other));
        TopicProvisioner fixer = new TopicProvisioner(admin, List.of(table));
        try (KafkaBroker broker = KafkaBroker.create(dir.resolve("kafka"), port, Ports.freePort())) {
            late.start();
            // no broker yet: the first attempts fail and the provisioner keeps going
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> !late.provisioned());
            broker.start();
            await().atMost(Duration.ofSeconds(90)).until(late::provisioned);
            try (Admin client = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                assertThat(client.listTopics().names().get()).contains("meridian.provisioner-probe");
                // what broker auto-creation makes: the table topic with the default (delete) policy
                client.createTopics(List.of(new NewTopic(Topics.ROUTING_TABLE, 1, (short) 1))).all().get();
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, Topics.ROUTING_TABLE);
                assertThat(policy(client, resource)).isEqualTo(TopicConfig.CLEANUP_POLICY_DELETE);
                fixer.start();
                await().atMost(Duration.ofSeconds(90)).until(fixer::provisioned);
                assertThat(policy(client, resource)).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
            }
        } finally {
            late.stop();
            fixer.stop();
        }
    }

    private static String policy(Admin client, ConfigResource resource) throws Exception {
        return client.describeConfigs(List.of(resource)).all().get().get(resource).get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
    }
}
