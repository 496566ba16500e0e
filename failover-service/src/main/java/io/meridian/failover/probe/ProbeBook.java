package io.meridian.failover.probe;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

import io.meridian.common.region.RegionId;
import io.meridian.failover.database.Lsn;

/**
 * This instance's newest probe result per member, and the furthest WAL position it saw each member reach as a
 * primary: the reference the lag gate and the RPO measure standbys against once the primary is gone.
 */
@Component
public class ProbeBook {

    private record Key(String cluster, RegionId region) {
    }

    /**
     * The newest a primary was seen to have written.
     *
     * @param position  its furthest WAL position
     * @param at        when that was seen
     * @param heartbeat its newest heartbeat written by this instance's write probe
     */
    public record PrimaryMark(Lsn position, Instant at, @Nullable Instant heartbeat) {
    }

    private final Map<Key, ProbeResult> latest = new ConcurrentHashMap<>();
    private final Map<Key, PrimaryMark> marks = new ConcurrentHashMap<>();

    /** Records a result unless a later probe of the member was recorded already; whether it was recorded. */
    public boolean record(ProbeResult result) {
        Key key = new Key(result.cluster(), result.region());
        boolean[] applied = {false};
        latest.compute(key, (k, current) -> {
            if (current != null && current.sequence() > result.sequence()) {
                return current;
            }
            applied[0] = true;
            return result;
        });
        var state = result.state();
        if (applied[0] && state != null && !state.inRecovery() && state.currentLsn() != null) {
            Lsn position = state.currentLsn();
            marks.merge(key, new PrimaryMark(position, result.at(), state.heartbeatWritten()), (old, now) -> new PrimaryMark(
                    Lsn.max(old.position(), now.position()), now.position().compareTo(old.position()) >= 0 ? now.at() : old.at(),
                    now.heartbeat() != null ? now.heartbeat() : old.heartbeat()));
        }
        return applied[0];
    }

    /** The newest result for a member. */
    public Optional<ProbeResult> latest(String cluster, RegionId region) {
        return Optional.ofNullable(latest.get(new Key(cluster, region)));
    }

    /** The furthest a member was seen to have written while it was a primary. */
    public Optional<PrimaryMark> primaryMark(String cluster, RegionId region) {
        return Optional.ofNullable(marks.get(new Key(cluster, region)));
    }

    /** Forgets a member's primary mark (it rejoined as a standby: its old position means nothing now). */
    public void resetMark(String cluster, RegionId region) {
        marks.remove(new Key(cluster, region));
    }

    /** Forgets a cluster. */
    public void forget(String cluster) {
        latest.keySet().removeIf(k -> k.cluster().equals(cluster));
        marks.keySet().removeIf(k -> k.cluster().equals(cluster));
    }
}
