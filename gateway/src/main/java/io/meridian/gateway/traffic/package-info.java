/**
 * Live traffic: finds the client and the routed service of each request, decides in process from the
 * routing table, forwards to the chosen region's upstream with one retry in another allowed region,
 * keeps sessions sticky, never leaves a residency zone, and reports what it observes.
 */
@NullMarked
package io.meridian.gateway.traffic;

import org.jspecify.annotations.NullMarked;
