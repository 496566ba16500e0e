package io.meridian.backup.storage;

import java.util.List;

/**
 * A completed multipart upload as the uploader measured it.
 *
 * @param size   bytes
 * @param sha256 the composite checksum of the parts ({@link Checksums#composite}): {@code <hex>-<parts>}
 * @param parts  every part with its own SHA-256
 */
public record UploadResult(long size, String sha256, List<Manifest.Part> parts) {
}
