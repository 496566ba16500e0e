package io.meridian.failover.execution;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import io.meridian.failover.config.FailoverProperties;

/**
 * The executor lease: one row in the failover schema naming the holder, a fencing token and an expiry, all
 * judged by the database's clock. Acquiring an expired lease increments the token; renewing keeps it. Every
 * write the executor makes to an operation carries its holder and token and succeeds only while the lease is
 * current, so a second instance, or this one resumed after a pause longer than the lease, cannot act.
 *
 * <p>Hand-rolled rather than ShedLock: ShedLock records who holds a lock and until when, but hands the holder no
 * monotonically increasing token to put into its own conditional writes, which is what makes a stale holder's
 * writes fail instead of merely making it likely that it has stopped.
 */
@Component
public class ExecutorLease {

    /** The lease's name (one executor for all clusters). */
    public static final String NAME = "failover-executor";

    private static final Logger log = LoggerFactory.getLogger(ExecutorLease.class);

    private final JdbcClient jdbc;
    private final String holder;
    private final Duration duration;
    private volatile boolean held;
    private volatile long token = -1;
    private volatile long renewedAt;

    ExecutorLease(JdbcClient jdbc, FailoverProperties properties) {
        this.jdbc = jdbc;
        this.holder = properties.observer();
        this.duration = properties.execution().leaseDuration();
    }

    /**
     * The lease as stored.
     *
     * @param holder    who holds it (also after it expired)
     * @param token     its fencing token
     * @param expiresAt when it expires unless renewed
     * @param current   whether it has not expired
     */
    public record Info(@Nullable String holder, long token, Instant expiresAt, boolean current) {
    }

    /** Acquires the lease if free, or renews it when due; whether this instance holds it. */
    public synchronized boolean ensureHeld() {
        if (held) {
            if (!renewDue() || renew()) {
                return true;
            }
            lost("renewal refused");
        }
        return tryAcquire();
    }

    /** Renews the lease when due; throws if this instance no longer holds it. Never acquires. */
    public synchronized void check() {
        if (!held) {
            throw new LeaseLostException(holder + " does not hold the executor lease");
        }
        if (renewDue() && !renew()) {
            lost("renewal refused");
            throw new LeaseLostException(holder + " lost the executor lease (token " + token + ")");
        }
    }

    /** Renews the lease now, against the database; throws if this instance no longer holds it. Called right before acting. */
    public synchronized void verify() {
        if (!held || !renew()) {
            lost("verification refused");
            throw new LeaseLostException(holder + " lost the executor lease (token " + token + ")");
        }
    }

    /** Gives the lease up (at shutdown), so that another instance takes over at once. */
    public synchronized void release() {
        if (held) {
            jdbc.sql("UPDATE executor_lease SET expires_at = now() WHERE name = :name AND holder = :holder AND token = :token")
                    .param("name", NAME).param("holder", holder).param("token", token).update();
            held = false;
            log.info("Released the executor lease (token {})", token);
        }
    }

    /** Whether this instance believes it holds the lease. */
    public boolean held() {
        return held;
    }

    /** The token of the lease this instance holds or held last. */
    public long token() {
        return token;
    }

    /** This instance's holder name. */
    public String holder() {
        return holder;
    }

    /** The lease as stored. */
    public Optional<Info> info() {
        return jdbc.sql("SELECT holder, token, expires_at, expires_at > now() AS current FROM executor_lease WHERE name = :name")
                .param("name", NAME)
                .query((rs, row) -> new Info(rs.getString("holder"), rs.getLong("token"), rs.getTimestamp("expires_at").toInstant(),
                        rs.getBoolean("current"))).optional();
    }

    private boolean renewDue() {
        return System.nanoTime() - renewedAt >= duration.toNanos() / 3;
    }

    private boolean renew() {
        long t0 = System.nanoTime();
        boolean ok = jdbc.sql("UPDATE executor_lease SET expires_at = now() + :ms * interval '1 millisecond' "
                        + "WHERE name = :name AND holder = :holder AND token = :token AND expires_at > now()")
                .param("ms", duration.toMillis()).param("name", NAME).param("holder", holder).param("token", token).update() == 1;
        if (ok) {
            renewedAt = t0;
        }
        return ok;
    }

    private boolean tryAcquire() {
        long t0 = System.nanoTime();
        Optional<Long> acquired = jdbc.sql("UPDATE executor_lease SET holder = :holder, token = token + 1, acquired_at = now(), "
                        + "expires_at = now() + :ms * interval '1 millisecond' WHERE name = :name AND expires_at <= now() RETURNING token")
                .param("holder", holder).param("ms", duration.toMillis()).param("name", NAME)
                .query((rs, row) -> rs.getLong(1)).optional();
        if (acquired.isEmpty()) {
            return false;
        }
        token = acquired.get();
        renewedAt = t0;
        held = true;
        log.info("{} holds the executor lease with fencing token {}", holder, token);
        return true;
    }

    private void lost(String why) {
        if (held) {
            log.warn("{} lost the executor lease (token {}): {}", holder, token, why);
        }
        held = false;
    }
}
