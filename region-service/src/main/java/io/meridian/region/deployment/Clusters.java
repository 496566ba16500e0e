package io.meridian.region.deployment;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

import io.meridian.region.config.ObjectRef;
import tools.jackson.databind.JsonNode;

/**
 * The port to the regions' Kubernetes APIs. Objects travel as JSON trees, exactly as the API server
 * serves them; every failure is a {@link ClusterException}. The implementation (fabric8) lives in
 * {@code io.meridian.region.kubernetes} and works unchanged against a real cluster.
 */
public interface Clusters {

    /** The live object, if it exists. */
    Optional<JsonNode> get(ClusterTarget target, String namespace, ObjectRef ref);

    /** Creates {@code object}; a {@link ClusterException} of failure {@code CONFLICT} when one of that name exists. */
    void create(ClusterTarget target, String namespace, JsonNode object);

    /** Applies an RFC 6902 JSON patch to the object; returns it as stored. */
    JsonNode patch(ClusterTarget target, String namespace, ObjectRef ref, JsonNode jsonPatch);

    /** Deletes the object; false if it was not there. */
    boolean delete(ClusterTarget target, String namespace, ObjectRef ref);

    /** The objects Meridian manages for {@code service} in the namespace (by their labels). */
    List<JsonNode> listManaged(ClusterTarget target, String namespace, String service);

    /**
     * Watches every object Meridian manages in the namespace and passes each change to
     * {@code listener} until closed; the objects already there are passed on first, as ADDED.
     */
    Watch watch(ClusterTarget target, String namespace, Consumer<ObjectEvent> listener);

    /** A running watch. */
    interface Watch extends AutoCloseable {
        @Override
        void close();

        /** False once the watch ended by itself (the cluster closed it for good); replace it then. */
        boolean isOpen();
    }

    /**
     * One change seen by a watch.
     *
     * @param target the cluster
     * @param type   added, modified or deleted
     * @param ref    which object
     * @param object the object after the change (before, for a deletion)
     */
    record ObjectEvent(ClusterTarget target, Type type, ObjectRef ref, @Nullable JsonNode object) {

        /** Kinds of change. */
        public enum Type {
            ADDED, MODIFIED, DELETED
        }
    }
}
