/** The gateway: live traffic by the routing table, and the front door for the control APIs. */
@NullMarked
package io.meridian.gateway;

import org.jspecify.annotations.NullMarked;
