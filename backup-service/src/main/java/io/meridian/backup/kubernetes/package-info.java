/** Kubernetes namespace backups and restores through fabric8 (the only place fabric8 is used). */
@NullMarked
package io.meridian.backup.kubernetes;

import org.jspecify.annotations.NullMarked;
