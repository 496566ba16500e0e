/** The current routing table of every service: recompiled on every input change and published on meridian.routing-table. */
@NullMarked
package io.meridian.routing.table;

import org.jspecify.annotations.NullMarked;
