package io.meridian.failover.execution;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import io.meridian.failover.database.Lsn;

/**
 * Chooses the standby to promote: the eligible one that misses the least WAL against the reference position (the
 * old primary's furthest known position), if that is within the bound. Pure.
 */
public final class LagGate {

    private LagGate() {
    }

    /**
     * The outcome.
     *
     * @param chosen     the standby to promote, if one qualifies
     * @param candidates every standby with its lag and whether it is within the bound
     * @param reason     why it chose or refused, for people
     */
    public record Choice(@Nullable Candidate chosen, List<Candidate> candidates, String reason) {
    }

    /**
     * Measures {@code measured} standbys against {@code reference} and picks one.
     *
     * @param measured  the standbys as measured (eligible or not, with their positions)
     * @param reference the old primary's furthest known WAL position
     * @param bound     the most WAL a promoted standby may miss, in bytes
     */
    public static Choice choose(List<Candidate> measured, Lsn reference, long bound) {
        List<Candidate> rated = new ArrayList<>();
        for (Candidate c : measured) {
            Lsn position = c.position();
            if (!c.eligible() || position == null) {
                rated.add(new Candidate(c.region(), false, c.received(), c.replayed(), null, false, c.note()));
                continue;
            }
            long lag = Math.max(0, reference.minus(position));
            rated.add(new Candidate(c.region(), true, c.received(), c.replayed(), lag, lag <= bound,
                    c.note() + "; misses " + lag + " bytes of WAL (bound " + bound + ")"));
        }
        Optional<Candidate> best = rated.stream().filter(Candidate::withinBound).min(Comparator.comparingLong(c -> java.util.Objects.requireNonNull(c.lagBytes())));
        if (best.isPresent()) {
            return new Choice(best.get(), rated, "promote " + best.get().region() + ": it misses " + best.get().lagBytes()
                    + " bytes of WAL against " + reference + ", within the bound of " + bound);
        }
        List<Candidate> eligible = rated.stream().filter(Candidate::eligible).toList();
        if (eligible.isEmpty()) {
            return new Choice(null, rated, "no standby can be promoted: " + String.join("; ", rated.stream()
                    .map(c -> c.region() + " " + c.note()).toList()));
        }
        return new Choice(null, rated, "no standby is within the lag bound of " + bound + " bytes: " + String.join("; ",
                eligible.stream().map(c -> c.region() + " misses " + c.lagBytes() + " bytes").toList())
                + "; promoting one would lose that much acknowledged data, so the failover halts");
    }
}
