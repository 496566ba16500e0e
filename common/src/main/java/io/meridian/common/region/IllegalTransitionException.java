package io.meridian.common.region;

import java.util.List;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;

/** A status change the region lifecycle does not allow; answered 409 listing the allowed targets. */
public class IllegalTransitionException extends MeridianException {

    public IllegalTransitionException(RegionId region, RegionStatus from, RegionStatus to) {
        super(ProblemTypes.ILLEGAL_TRANSITION, 409, "Illegal status transition",
                "Region " + region + " cannot move from " + from + " to " + to);
        with("from", from.name());
        with("to", to.name());
        with("allowed", from.allowedTransitions().stream().map(Enum::name).sorted().toList());
    }

    /** Checks a transition, throwing when it is not allowed. */
    public static void check(RegionId region, RegionStatus from, RegionStatus to) {
        if (!from.canTransitionTo(to)) {
            throw new IllegalTransitionException(region, from, to);
        }
    }

    @SuppressWarnings("unchecked")
    public List<String> allowed() {
        return (List<String>) properties().get("allowed");
    }
}
