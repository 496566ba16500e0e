package io.meridian.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;

import io.meridian.testsupport.OpenEndpointWalk;
import io.meridian.testsupport.ServiceConformance;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RoutingServiceIntegrationTests extends RoutingIntegrationTest {

    @Autowired
    ApplicationContext context;

    @Test
    void everyMappingDemandsTheRightRole() {
        assertThat(new OpenEndpointWalk(URI.create("http://127.0.0.1:" + port), Map.of()).walk(context))
                .extracting(OpenEndpointWalk.Endpoint::path).contains("/api/v1/routing/audit");
    }

    @Test
    void conformsToTheServiceContract() throws Exception {
        new ServiceConformance(URI.create("http://127.0.0.1:" + port), "routing-service", "/api/v1/routing").check();
    }
}
