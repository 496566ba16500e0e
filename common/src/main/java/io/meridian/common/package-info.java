/**
 * Contracts shared by two or more Meridian services: identifiers, the region model, the event
 * envelope and topic names, the hybrid logical clock, problem types and role names. Nothing here
 * talks to a database, a broker or a cluster.
 */
@NullMarked
package io.meridian.common;

import org.jspecify.annotations.NullMarked;
