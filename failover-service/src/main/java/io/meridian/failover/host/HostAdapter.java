package io.meridian.failover.host;

import java.util.Optional;

import io.meridian.failover.database.Lsn;
import io.meridian.failover.topology.ClusterMember;

/**
 * Acts on the host (or instance, or pod) that runs a member's database, where SQL cannot: fencing a primary
 * that does not answer, stopping it cleanly before a switchover, re-seeding it as a standby, and the drills'
 * faults.
 *
 * <p>{@link LocalHostAdapter} acts on the local stack's and the tests' PostgreSQL processes through their data
 * directories. In production this is a Kubernetes adapter (delete the pod with grace period 0 and scale the
 * StatefulSet ordinal down, or cordon the node: the database cannot come back as a writer) or a cloud adapter
 * (stop or power off the instance through the provider's API: STONITH), with re-seeding as a Job that runs
 * {@code pg_basebackup} or {@code pg_rewind} on the member's volume.
 */
public interface HostAdapter {

    /** The adapter's name, recorded with every action ({@code local}, {@code kubernetes}). */
    String name();

    /** Whether this adapter can act on {@code member}'s host. */
    boolean manages(ClusterMember member);

    /**
     * Fences a member: its database process stops at once, frozen or not, and any restart comes back in
     * recovery (read-only) until it rejoins. Idempotent.
     *
     * @return what was done, for the history
     * @throws HostActionException if the member's host cannot be acted on
     */
    String fence(ClusterMember member);

    /** Stops the member's database cleanly (its standbys receive the shutdown checkpoint). Idempotent. */
    void stop(ClusterMember member);

    /** Starts the member's database in recovery: it follows the primary its {@code primary_conninfo} names. */
    void startAsStandby(ClusterMember member);

    /** Starts the member's database as it is. */
    void start(ClusterMember member);

    /**
     * Re-seeds the member as a standby of {@code primary}: stops it, replaces its data with a fresh base backup
     * of {@code primary} streamed through the replication slot named after the member, and starts it.
     */
    void reseed(ClusterMember member, ClusterMember primary);

    /** Whether the member's database process runs (also when frozen). */
    boolean isRunning(ClusterMember member);

    /** Drill: kills the member's database with SIGKILL, as a crash would. */
    void kill(ClusterMember member);

    /** Drill: freezes the member's database (SIGSTOP): it accepts connections and never answers. */
    void freeze(ClusterMember member);

    /** Drill: resumes a frozen database (SIGCONT). */
    void thaw(ClusterMember member);

    /**
     * What a stopped, fenced member wrote from {@code from} on, read from its own WAL files before it is re-seeded:
     * the measured RPO of the failover that fenced it (what the promoted standby, which had WAL up to {@code from},
     * never received). Empty if the adapter cannot tell (the member runs, its files are gone, no tool).
     */
    /**
     * Sends {@code signal} ({@code KILL}, {@code STOP} or {@code CONT}) to the process serving the region's
     * application (the one listening where the member's {@code appHealthUrl} points), for drills.
     *
     * @throws HostActionException if this adapter cannot reach the application's process
     */
    default void signalApp(ClusterMember member, String signal) {
        throw new HostActionException("the " + name() + " host adapter cannot signal the application of " + member.region());
    }

    default Optional<WalTail> walTail(ClusterMember member, Lsn from) {
        return Optional.empty();
    }

    /**
     * The end of a member's WAL.
     *
     * @param end     where its WAL ends
     * @param commits how many transactions it committed from the given position on (failover-service's own heartbeat
     *                writes included)
     */
    record WalTail(Lsn end, int commits) {
    }
}
