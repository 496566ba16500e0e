/** Host-level actions on a member's database process (fence by stop or kill, re-seed, drills): the adapter interface and the local-stack implementation. */
@NullMarked
package io.meridian.failover.host;

import org.jspecify.annotations.NullMarked;
