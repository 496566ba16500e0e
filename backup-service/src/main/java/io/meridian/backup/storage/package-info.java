/** The S3 adapter: streamed multipart uploads with SHA-256 per part, manifests, verification by re-reading. */
@NullMarked
package io.meridian.backup.storage;

import org.jspecify.annotations.NullMarked;
