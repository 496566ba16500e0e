package io.meridian.region.config;

import java.util.Arrays;
import java.util.Optional;

/** The Kubernetes object kinds a service template may contain, with the API version Meridian renders them at. */
public enum ManifestKind {
    /** {@code v1 ConfigMap}; applied first so pods that mount it find it. */
    CONFIG_MAP("v1", "ConfigMap"),
    /** {@code apps/v1 Deployment}: the workload whose rollout status decides readiness. */
    DEPLOYMENT("apps/v1", "Deployment"),
    /** {@code v1 Service}. */
    SERVICE("v1", "Service"),
    /** {@code autoscaling/v2 HorizontalPodAutoscaler}. */
    HORIZONTAL_POD_AUTOSCALER("autoscaling/v2", "HorizontalPodAutoscaler"),
    /** {@code policy/v1 PodDisruptionBudget}. */
    POD_DISRUPTION_BUDGET("policy/v1", "PodDisruptionBudget");

    private final String apiVersion;
    private final String kind;

    ManifestKind(String apiVersion, String kind) {
        this.apiVersion = apiVersion;
        this.kind = kind;
    }

    public String apiVersion() {
        return apiVersion;
    }

    /** The Kubernetes kind, as in manifests ({@code Deployment}). */
    public String kind() {
        return kind;
    }

    /** The supported kind with this {@code apiVersion} and {@code kind}, if any. */
    public static Optional<ManifestKind> of(String apiVersion, String kind) {
        return Arrays.stream(values()).filter(k -> k.apiVersion.equals(apiVersion) && k.kind.equals(kind)).findFirst();
    }

    /** The supported kind named {@code kind}, if any. */
    public static Optional<ManifestKind> ofKind(String kind) {
        return Arrays.stream(values()).filter(k -> k.kind.equals(kind)).findFirst();
    }

    /** Every supported pair, for messages. */
    public static String supported() {
        return String.join(", ", Arrays.stream(values()).map(k -> k.apiVersion + " " + k.kind).toList());
    }
}
