package io.meridian.common.failover;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;

/**
 * One step of a failover or planned switchover, published on {@code meridian.failover-events} keyed by
 * the operation id, type {@code meridian.failover.step.v1}.
 *
 * <p>This is the minimal contract routing relies on (routing-service takes a region out of traffic
 * while it is fenced); failover-service may add optional components but must keep these meanings.
 * Events of one operation carry increasing {@code entityversion}s; consumers order steps about the same
 * region across operations by the event's {@code hlc}.
 *
 * @param operationId the failover or switchover operation
 * @param step        what happened
 * @param region      the region failed over from (the old primary)
 * @param promoted    the region promoted in its place, from {@link Step#PROMOTED} on
 * @param at          when the step happened
 * @param reason      why, as the decider or operator gave it
 */
public record FailoverEvent(String operationId, Step step, RegionId region, @Nullable RegionId promoted, Instant at,
        @Nullable String reason) {

    /** Steps of an operation. */
    public enum Step {
        /** A failure was decided by quorum; the region still serves until fenced. */
        DETECTED,
        /** The region was fenced: it accepts no writes and is out of traffic. */
        FENCED,
        /** Another region was promoted in its place. */
        PROMOTED,
        /** The operation finished; the region stays out of traffic until it rejoins. */
        COMPLETED,
        /** A step failed and the operation stopped with the region fenced; operators act. */
        HALTED,
        /** A step failed and the operation was undone; the region serves again. */
        ROLLED_BACK,
        /** The region rejoined (as a standby) and may serve again. */
        REJOINED
    }

    /** Whether this step changes whether the region gets traffic ({@link Step#DETECTED} leaves it as it was). */
    public boolean changesTraffic() {
        return step != Step.DETECTED;
    }

    /** Whether, after this step, the region must get no traffic. */
    public boolean regionOutOfTraffic() {
        return switch (step) {
            case FENCED, PROMOTED, COMPLETED, HALTED -> true;
            case DETECTED, ROLLED_BACK, REJOINED -> false;
        };
    }
}
