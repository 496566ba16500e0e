/**
 * Per-region configuration: one template per service (Kubernetes manifests with placeholders) and
 * layered values merged Helm-style ({@code defaults < service < region < override}), rendered per
 * region and compared with what runs there.
 */
@NullMarked
package io.meridian.region.config;

import org.jspecify.annotations.NullMarked;
