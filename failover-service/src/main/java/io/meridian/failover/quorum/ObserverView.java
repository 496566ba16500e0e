package io.meridian.failover.quorum;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * One observer's current view of one region.
 *
 * @param observer            who observes ({@code failover-service@host-1}, {@code gateway@eu-west-1})
 * @param verdict             what it holds
 * @param fresh               whether its newest observation is recent enough to count
 * @param consecutiveFailures how many of its newest observations in a row found the region down
 * @param unhealthySince      since when its observations have been unhealthy (down or degraded), if they are
 * @param newestAt            when its newest observation was made
 * @param detail              what its newest observation saw
 */
public record ObserverView(String observer, Verdict verdict, boolean fresh, int consecutiveFailures, @Nullable Instant unhealthySince,
        Instant newestAt, String detail) {
}
