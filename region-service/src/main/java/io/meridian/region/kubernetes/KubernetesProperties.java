package io.meridian.region.kubernetes;

import java.nio.file.Path;
import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How region-service reaches the regions' Kubernetes APIs.
 *
 * @param connectTimeout  how long to wait for a connection to an API server
 * @param requestTimeout  how long to wait for an answer
 * @param preferContext   connect through the region's kubeconfig context ({@code endpoints.kubernetesContext}) instead of its
 *                        API URL when it names one (credentials, TLS and the server then come from the kubeconfig)
 * @param kubeconfig      the kubeconfig file for contexts; unset: {@code KUBECONFIG}, then {@code ~/.kube/config}
 * @param token           a bearer token sent to API URLs (not used with contexts); unset: none
 * @param trustCerts      trust any server certificate on API URLs (local clusters only)
 */
@ConfigurationProperties("meridian.kubernetes")
public record KubernetesProperties(
        @DefaultValue("3s") Duration connectTimeout,
        @DefaultValue("10s") Duration requestTimeout,
        @DefaultValue("false") boolean preferContext,
        @Nullable Path kubeconfig,
        @Nullable String token,
        @DefaultValue("false") boolean trustCerts) {
}
