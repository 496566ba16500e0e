package io.meridian.support;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import io.cloudevents.CloudEvent;
import io.meridian.support.kafka.Tombstones;
import io.meridian.common.events.Topics;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditSupport;
import io.meridian.support.kafka.EventPublisher;
import io.meridian.support.kafka.KafkaHealthIndicator;
import io.meridian.support.kafka.TopicProvisioner;
import io.meridian.support.logging.OperationContextFilter;
import io.meridian.support.problem.MeridianProblemAdvice;
import io.meridian.support.problem.ProblemErrorController;
import io.micrometer.core.instrument.MeterRegistry;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import tools.jackson.databind.ObjectMapper;

/** The beans every servlet service shares; see the package documentation. */
@AutoConfiguration(afterName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration",
        beforeName = "org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableConfigurationProperties(MeridianServiceProperties.class)
@Import({MeridianProblemAdvice.class, ProblemErrorController.class, AuditSupport.class})
public class MeridianServiceAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    HybridLogicalClock hybridLogicalClock() {
        return HybridLogicalClock.system();
    }

    @Bean
    @ConditionalOnMissingBean
    EventPublisher eventPublisher(KafkaProperties kafka, MeterRegistry meters) {
        Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
        config.putIfAbsent("acks", "all");
        config.putIfAbsent("enable.idempotence", true);
        config.putIfAbsent("linger.ms", 0);
        config.putIfAbsent("max.block.ms", 5_000);
        DefaultKafkaProducerFactory<String, CloudEvent> factory =
                new DefaultKafkaProducerFactory<>(config, new StringSerializer(), Tombstones.serializer());
        return new EventPublisher(new KafkaTemplate<>(factory), meters);
    }

    /** Listener container factory for CloudEvents topics: {@code @KafkaListener(containerFactory = "cloudEventListenerFactory")}. */
    @Bean
    @ConditionalOnMissingBean(name = "cloudEventListenerFactory")
    ConcurrentKafkaListenerContainerFactory<String, CloudEvent> cloudEventListenerFactory(KafkaProperties kafka) {
        Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
        config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        ConcurrentKafkaListenerContainerFactory<String, CloudEvent> factory = new ConcurrentKafkaListenerContainerFactory<>();
        factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), Tombstones.deserializer()));
        return factory;
    }

    @Bean
    @ConditionalOnMissingBean
    AuditLog auditLog(JdbcClient jdbc, ObjectMapper json, HybridLogicalClock clock, EventPublisher events,
            @Value("${spring.application.name}") String serviceName) {
        return new AuditLog(jdbc, json, clock, events, serviceName);
    }

    /** Operation id and region in the logging context of every request, ahead of security (its lines carry them too). */
    @Bean
    FilterRegistrationBean<OperationContextFilter> meridianOperationContext() {
        FilterRegistrationBean<OperationContextFilter> registration = new FilterRegistrationBean<>(new OperationContextFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        registration.addUrlPatterns("/*");
        return registration;
    }

    @Bean
    WebMvcConfigurer meridianAuditInterceptor(AuditLog audit) {
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(AuditSupport.interceptor(audit)).addPathPatterns("/api/**");
            }
        };
    }

    @Bean("kafka")
    @ConditionalOnMissingBean(name = "kafka")
    KafkaHealthIndicator kafkaHealthIndicator(KafkaAdmin kafkaAdmin, MeridianServiceProperties properties) {
        Map<String, Object> config = new HashMap<>(kafkaAdmin.getConfigurationProperties());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) properties.kafkaHealthTimeout().toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) properties.kafkaHealthTimeout().toMillis());
        return new KafkaHealthIndicator(Admin.create(config), properties.kafkaHealthTimeout());
    }

    /** The shared topics, created when missing; state topics compacted. */
    @Bean
    KafkaAdmin.NewTopics meridianTopics(MeridianServiceProperties properties) {
        return new KafkaAdmin.NewTopics(sharedTopics(properties).toArray(NewTopic[]::new));
    }

    private static List<NewTopic> sharedTopics(MeridianServiceProperties properties) {
        return Topics.ALL.stream().map(name -> {
            TopicBuilder topic = TopicBuilder.name(name).partitions(properties.topicPartitions())
                    .replicas(properties.topicReplicationFactor());
            if (Topics.isCompacted(name)) {
                topic.config(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)
                        .config(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0");
            }
            return topic.build();
        }).toList();
    }

    @Bean
    TopicProvisioner meridianTopicProvisioner(KafkaAdmin kafkaAdmin, MeridianServiceProperties properties) {
        return new TopicProvisioner(kafkaAdmin, sharedTopics(properties));
    }

    @Bean
    @ConditionalOnMissingBean
    OpenAPI meridianOpenApi(@Value("${spring.application.name}") String serviceName,
            @Value("${meridian.service.description:Meridian control-plane service}") String description) {
        return new OpenAPI()
                .info(new Info().title("Meridian " + serviceName).version("v1").description(description))
                .components(new Components().addSecuritySchemes("bearer",
                        new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("JWT")
                                .description("Meridian JWT; roles claim: viewer, operator, admin")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }
}
