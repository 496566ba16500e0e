package io.meridian.common.routing;

import java.util.List;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;

/**
 * Where one client's request for one service goes, and why.
 *
 * @param service      the service
 * @param outcome      routed, or refused
 * @param target       the region to send the client to; null when refused
 * @param fallbacks    the regions to try next, in order (never outside the client's allowed zones)
 * @param decidedBy    the rule (or fallback, or refusal) that decided
 * @param ruleIndex    position of the deciding rule in the policy (0-based), or -1 for fallback and refusals
 * @param explanation  a short human explanation (empty when the caller did not ask for one)
 * @param client       where the client was found to be
 * @param clientZone   the residency zone of the client's country, if any
 * @param tableVersion version of the routing table the decision was made with
 */
public record RoutingDecision(String service, Outcome outcome, @Nullable RegionId target, List<RegionId> fallbacks,
        DecidedBy decidedBy, int ruleIndex, String explanation, ClientLocation client, @Nullable ResidencyZone clientZone,
        long tableVersion) {

    /** Whether the client was sent somewhere. */
    public enum Outcome {
        ROUTED, REFUSED
    }

    /** What decided. */
    public enum DecidedBy {
        /** A {@link RuleType#GEOGRAPHIC} rule. */
        GEOGRAPHIC,
        /** A {@link RuleType#LATENCY} rule. */
        LATENCY,
        /** A {@link RuleType#HEALTH} rule. */
        HEALTH,
        /** A {@link RuleType#WEIGHTED} rule. */
        WEIGHTED,
        /** No rule decided; the policy's fallback chain (or, after it, the nearest healthy region) did. */
        FALLBACK,
        /** Refused: the service is zone-tagged and no healthy region of the allowed zone is left. */
        RESIDENCY_REFUSAL,
        /** Refused: the service has no healthy region at all. */
        NO_HEALTHY_REGION;

        /** The decider for a rule type. */
        public static DecidedBy of(RuleType type) {
            return switch (type) {
                case GEOGRAPHIC -> GEOGRAPHIC;
                case LATENCY -> LATENCY;
                case HEALTH -> HEALTH;
                case WEIGHTED -> WEIGHTED;
            };
        }
    }

    public RoutingDecision {
        fallbacks = List.copyOf(fallbacks);
    }

    /** Whether the client was sent somewhere. */
    public boolean routed() {
        return outcome == Outcome.ROUTED;
    }
}
