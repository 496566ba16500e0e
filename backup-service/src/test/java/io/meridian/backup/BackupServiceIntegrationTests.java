package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

import io.meridian.testsupport.OpenEndpointWalk;
import io.meridian.testsupport.ServiceConformance;

class BackupServiceIntegrationTests extends BackupIntegrationTest {

    @Autowired
    ApplicationContext context;

    @Test
    void everyMappingDemandsTheRightRole() {
        assertThat(new OpenEndpointWalk(URI.create("http://127.0.0.1:" + port), Map.of()).walk(context))
                .extracting(OpenEndpointWalk.Endpoint::path)
                .contains("/api/v1/backups/audit", "/api/v1/backups", "/api/v1/backups/policies", "/api/v1/backups/restores");
    }

    @Test
    void conformsToTheServiceContract() throws Exception {
        new ServiceConformance(URI.create("http://127.0.0.1:" + port), "backup-service", "/api/v1/backups").check();
    }
}
