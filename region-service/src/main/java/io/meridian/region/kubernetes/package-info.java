/**
 * The Kubernetes adapter: implements the deployment domain's {@link io.meridian.region.deployment.Clusters}
 * port with the fabric8 client, one client per region (its API URL, or its kubeconfig context). The
 * only package that imports fabric8.
 */
@NullMarked
package io.meridian.region.kubernetes;

import org.jspecify.annotations.NullMarked;
