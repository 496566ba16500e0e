package io.meridian.testsupport;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of a service's {@code @SpringBootTest}s: points the service at the shared real PostgreSQL and
 * Kafka and at the test token key.
 */
public abstract class ServiceIntegrationTest {

    @DynamicPropertySource
    static void meridianInfrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }
}
