package io.meridian.stack.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meridian.stack.Ports;

/** Starts the simulated Kubernetes APIs in-process and uses them through the generated kubeconfig. */
class KubernetesApisIntegrationTests {

    @TempDir
    static Path dir;

    private static KubernetesApis apis;
    private static Path kubeconfig;

    @BeforeAll
    static void start() {
        int[] ports = Ports.freePorts(2);
        Map<String, Integer> contexts = new LinkedHashMap<>();
        contexts.put("eu-west-1", ports[0]);
        contexts.put("ap-northeast-1", ports[1]);
        apis = KubernetesApis.start(contexts, "meridian");
        kubeconfig = dir.resolve("kubeconfig");
        apis.writeKubeconfig(kubeconfig);
    }

    @AfterAll
    static void stop() {
        if (apis != null) {
            apis.close();
        }
    }

    @Test
    void aConfigMapCreatedThroughAContextCanBeReadBack() throws Exception {
        try (KubernetesClient eu = client("eu-west-1")) {
            assertThat(eu.getNamespace()).isEqualTo("meridian");
            assertThat(eu.namespaces().withName("meridian").get()).isNotNull();

            eu.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("release").endMetadata()
                    .addToData("version", "1.4.2").build()).create();

            ConfigMap read = eu.configMaps().withName("release").get();
            assertThat(read.getData()).containsEntry("version", "1.4.2");
            assertThat(read.getMetadata().getNamespace()).isEqualTo("meridian");
        }
    }

    @Test
    void eachRegionHasItsOwnApi() throws Exception {
        try (KubernetesClient eu = client("eu-west-1"); KubernetesClient ap = client("ap-northeast-1")) {
            eu.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("only-in-eu").endMetadata()
                    .addToData("k", "v").build()).create();

            assertThat(ap.configMaps().withName("only-in-eu").get()).isNull();
            assertThat(ap.getMasterUrl().getPort()).isNotEqualTo(eu.getMasterUrl().getPort());
        }
    }

    private static KubernetesClient client(String context) throws Exception {
        String text = Files.readString(kubeconfig, StandardCharsets.UTF_8);
        Config config = Config.fromKubeconfig(context, text, kubeconfig.toString());
        return new KubernetesClientBuilder().withConfig(config).build();
    }
}
