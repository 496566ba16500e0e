package io.meridian.common.routing;

/** Kinds of routing rule a policy orders; each decides or passes to the next. */
public enum RuleType {
    /** Geographic primary: the regions the client's country maps to. */
    GEOGRAPHIC,
    /** Latency-optimised: the region with the lowest round-trip time from the client, within a bound. */
    LATENCY,
    /** Health-based: the healthiest regions above a threshold, nearest first among equals. */
    HEALTH,
    /** Weighted distribution: a sticky split by per-mille weights (rendezvous hashing). */
    WEIGHTED
}
