package io.meridian.backup.storage;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import io.meridian.backup.config.BackupProperties.ObjectLayout;

/**
 * What a backup object must be, written beside it as {@code manifest.json} when the upload is
 * complete: its size, the SHA-256 of every part and the object checksum (format 2: the composite
 * checksum of the parts, see {@link Checksums}; format 1: the SHA-256 of the whole object), where it came from (source
 * LSN and time) and with what tools, and the digests of its contents captured at dump time (per
 * table row counts and content hashes, or per Kubernetes resource checksums). The catalog keeps the
 * SHA-256 of the manifest itself, so a swapped manifest is caught as surely as a swapped object.
 *
 * @param formatVersion       manifest format: 2 (composite object checksum) is written; 1 (whole-object SHA-256) is still read
 * @param backupId            the backup
 * @param kind                LOGICAL, PHYSICAL or KUBERNETES
 * @param region              the source region
 * @param source              the source database or namespace
 * @param zone                the residency zone of the data
 * @param createdAt           when the upload completed
 * @param objectKey           the data object's key (the same in every region's bucket)
 * @param size                the object's size in bytes
 * @param sha256              the object checksum: format 2, {@code <hex>-<parts>}, the SHA-256 of the concatenated part digests;
 *                            format 1, the hex SHA-256 of the whole object
 * @param partSize            the size of every part but the last
 * @param parts               every part in order
 * @param sourceLsn           WAL position the backup is consistent with (PostgreSQL), if any
 * @param sourceTime          source clock time of that snapshot, if any
 * @param toolVersions        the tools that wrote the object (pg_dump, server) by name
 * @param contents            digests of the contents captured at dump time (tables or resources)
 * @param serverSideEncryption the SSE algorithm the object is stored with, if any
 * @param checksumType        {@code COMPOSITE} (format 2); absent in format 1, meaning {@code FULL_OBJECT}
 * @param layout              {@code PARTS}: the parts are stored in part objects of {@code partsPerObject} consecutive parts
 *                            each, {@link #partObjectKey(int)}, and {@code objectKey} names them but is not an object itself;
 *                            {@code OBJECT} or absent (manifests written before it existed): one object at {@code objectKey}
 * @param partsPerObject      parts in each part object but the last ({@code PARTS}); absent means 1
 */
public record Manifest(int formatVersion, UUID backupId, String kind, String region, String source, String zone, Instant createdAt,
        String objectKey, long size, String sha256, long partSize, List<Part> parts, @Nullable String sourceLsn,
        @Nullable Instant sourceTime, Map<String, String> toolVersions, List<ContentDigest> contents,
        @Nullable String serverSideEncryption, @Nullable String checksumType, @Nullable ObjectLayout layout,
        @Nullable Integer partsPerObject) {

    /** Whether the parts are stored in part objects. */
    public boolean partObjects() {
        return layout == ObjectLayout.PARTS;
    }

    /** Parts in each part object but the last (1 for one object). */
    public int partsPerObjectOrOne() {
        return partsPerObject == null || !partObjects() ? 1 : partsPerObject;
    }

    /** How many part objects hold the parts ({@link #partObjects()}). */
    public int objectCount() {
        return (parts.size() + partsPerObjectOrOne() - 1) / partsPerObjectOrOne();
    }

    /** The key of part object {@code index} (1-based). */
    public String partObjectKey(int index) {
        return partObjectKey(objectKey, index);
    }

    /** The parts (0-based indexes into {@link #parts()}, from inclusive, to exclusive) in part object {@code index} (1-based). */
    public int[] partsOfObject(int index) {
        int from = (index - 1) * partsPerObjectOrOne();
        return new int[] {from, Math.min(parts.size(), from + partsPerObjectOrOne())};
    }

    /** The size part object {@code index} (1-based) must have: the sum of its parts. */
    public long objectSize(int index) {
        int[] range = partsOfObject(index);
        long size = 0;
        for (int i = range[0]; i < range[1]; i++) {
            size += parts.get(i).size();
        }
        return size;
    }

    /** The key of part object {@code index} (1-based) of the backup object {@code objectKey} stored as {@link ObjectLayout#PARTS parts}. */
    public static String partObjectKey(String objectKey, int index) {
        return partsPrefix(objectKey) + String.format("%06d", index);
    }

    /** The prefix under which the parts of {@code objectKey} are stored as {@link ObjectLayout#PARTS parts}. */
    public static String partsPrefix(String objectKey) {
        return objectKey + ".parts/";
    }

    /** Whether {@link #sha256()} is a composite of the part digests (format 2) rather than the whole object's SHA-256 (format 1). */
    public boolean composite() {
        return formatVersion >= Checksums.COMPOSITE_FORMAT;
    }

    /**
     * One part of the object.
     *
     * @param number 1-based part number
     * @param size   bytes
     * @param sha256 hex SHA-256 of the part
     */
    public record Part(int number, long size, String sha256) {
    }

    /**
     * A digest of one table or resource, captured at dump time.
     *
     * @param name  schema-qualified table, or kind/name of a resource
     * @param count rows (1 for a resource)
     * @param hash  content hash: order-independent sum of the rows' 64-bit MD5 prefixes, or a resource's SHA-256
     */
    public record ContentDigest(String name, long count, String hash) {
    }
}
