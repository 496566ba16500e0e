package io.meridian.region.deployment;

import java.util.List;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Where a Deployment's rollout stands, read from its status as the cluster's deployment controller
 * writes it, with the rules {@code kubectl rollout status} uses: the controller has observed the
 * newest generation, every replica is updated, ready and available, and no old replica is left. A
 * {@code Progressing=False} condition with reason {@code ProgressDeadlineExceeded} fails it.
 *
 * @param phase    ready, progressing or failed
 * @param reason   a CamelCase reason
 * @param message  for people
 * @param snapshot the status fields read (generation, observedGeneration, replica counts, conditions)
 */
record RolloutStatus(Phase phase, String reason, String message, ObjectNode snapshot) {

    enum Phase {
        READY, PROGRESSING, FAILED
    }

    /**
     * Evaluates a live Deployment.
     *
     * @param deployment the live object (null when it is missing)
     * @param name       its name
     * @param fallbackReplicas the replicas to expect when the Deployment does not set {@code spec.replicas} (its HPA's minimum)
     */
    static RolloutStatus of(@Nullable JsonNode deployment, String name, int fallbackReplicas) {
        ObjectNode snapshot = JsonNodeFactory.instance.objectNode().put("deployment", name);
        if (deployment == null) {
            return new RolloutStatus(Phase.PROGRESSING, "WorkloadMissing", name + " is missing from the cluster", snapshot);
        }
        JsonNode status = deployment.path("status");
        long generation = deployment.path("metadata").path("generation").asLong(0);
        long observed = status.path("observedGeneration").asLong(0);
        int expected = deployment.path("spec").has("replicas") ? deployment.path("spec").path("replicas").asInt() : fallbackReplicas;
        int ready = status.path("readyReplicas").asInt(0);
        int updated = status.has("updatedReplicas") ? status.path("updatedReplicas").asInt() : ready;
        int available = status.has("availableReplicas") ? status.path("availableReplicas").asInt() : ready;
        int total = status.has("replicas") ? status.path("replicas").asInt() : updated;
        snapshot.put("generation", generation).put("observedGeneration", observed).put("expectedReplicas", expected)
                .put("replicas", total).put("updatedReplicas", updated).put("readyReplicas", ready).put("availableReplicas", available);
        snapshot.set("conditions", status.path("conditions").isArray() ? status.path("conditions").deepCopy()
                : JsonNodeFactory.instance.arrayNode());
        for (JsonNode condition : status.path("conditions")) {
            if ("Progressing".equals(condition.path("type").asString()) && "False".equals(condition.path("status").asString())
                    && "ProgressDeadlineExceeded".equals(condition.path("reason").asString())) {
                return new RolloutStatus(Phase.FAILED, "ProgressDeadlineExceeded",
                        name + " exceeded its progress deadline: " + condition.path("message").asString(""), snapshot);
            }
        }
        String progress = name + ": " + ready + "/" + expected + " ready, " + updated + " updated, generation " + observed + " of "
                + generation + " observed";
        if (observed < generation) {
            return new RolloutStatus(Phase.PROGRESSING, "WaitingForController", progress, snapshot);
        }
        if (updated < expected || total > updated || available < updated || ready < expected) {
            return new RolloutStatus(Phase.PROGRESSING, "WaitingForReplicas", progress, snapshot);
        }
        return new RolloutStatus(Phase.READY, "RolloutComplete", progress, snapshot);
    }

    /** The combined state of several Deployments: failed if one failed, progressing if one is, else ready. */
    static RolloutStatus combine(List<RolloutStatus> statuses) {
        ObjectNode snapshot = JsonNodeFactory.instance.objectNode();
        var workloads = snapshot.putArray("workloads");
        statuses.forEach(s -> workloads.add(s.snapshot()));
        String message = String.join("; ", statuses.stream().map(RolloutStatus::message).toList());
        for (Phase phase : List.of(Phase.FAILED, Phase.PROGRESSING)) {
            for (RolloutStatus status : statuses) {
                if (status.phase() == phase) {
                    return new RolloutStatus(phase, status.reason(), message, snapshot);
                }
            }
        }
        return new RolloutStatus(Phase.READY, "RolloutComplete", message, snapshot);
    }
}
