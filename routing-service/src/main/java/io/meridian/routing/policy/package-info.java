/** Routing policy CRUD: storage, the operator API, audit. */
@NullMarked
package io.meridian.routing.policy;

import org.jspecify.annotations.NullMarked;
