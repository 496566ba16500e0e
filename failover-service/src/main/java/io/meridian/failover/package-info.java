/** failover-service: Health probing, failure decisions by quorum, fencing, promotion, switchover and history. */
@NullMarked
package io.meridian.failover;

import org.jspecify.annotations.NullMarked;
