/** The authoritative DNS endpoint (dnsjava, UDP and TCP): A/AAAA answers by the same routing decision. */
@NullMarked
package io.meridian.routing.dns;

import org.jspecify.annotations.NullMarked;
