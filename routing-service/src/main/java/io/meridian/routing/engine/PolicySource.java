package io.meridian.routing.engine;

import java.util.Collection;
import java.util.Optional;

/** Where the current policies come from (the database, cached in memory). */
public interface PolicySource {

    /** The current policies. */
    Collection<StoredPolicy> policies();

    /** The current policy of {@code service}. */
    Optional<StoredPolicy> policy(String service);

    /** Re-reads the policies; whether anything changed. */
    boolean refresh();
}
