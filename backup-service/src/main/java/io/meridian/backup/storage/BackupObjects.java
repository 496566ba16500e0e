package io.meridian.backup.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SortedMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.meridian.backup.topology.BackupProblems;
import io.meridian.common.problem.MeridianException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;

/**
 * Backup objects and their manifests in a region's bucket, always checked: a manifest is accepted
 * only if its SHA-256 is the one the catalog recorded, an object only if it matches the manifest.
 */
@Component
public class BackupObjects {

    private static final Logger log = LoggerFactory.getLogger(BackupObjects.class);

    private final ObjectStore store;
    private final ObjectMapper json;

    public BackupObjects(ObjectStore store, ObjectMapper json) {
        this.store = store;
        this.json = json;
        // chooses (and logs) how restores hash parts, off the startup path: the vector lanes' self-test also compiles them
        Thread.ofPlatform().daemon().name("part-digests-self-test").start(PartDigests::description);
    }

    /** Serialises a manifest (the bytes whose SHA-256 the catalog keeps). */
    public byte[] bytes(Manifest manifest) {
        return json.writeValueAsBytes(manifest);
    }

    /**
     * Reads the manifest in {@code region}'s bucket and checks it against the catalog's SHA-256.
     *
     * @throws MeridianException 409 backup-integrity if it is missing, altered or inconsistent
     */
    public Manifest manifest(String region, String manifestKey, String expectedSha256) {
        byte[] bytes = store.get(region, manifestKey)
                .orElseThrow(() -> BackupProblems.integrity("the manifest " + manifestKey + " is missing from " + store.bucket(region)));
        String actual = Hex.sha256(bytes);
        if (!actual.equals(expectedSha256)) {
            throw BackupProblems.integrity("the manifest in " + store.bucket(region) + " has SHA-256 " + actual
                    + ", the catalog recorded " + expectedSha256 + " (altered or swapped)");
        }
        Manifest manifest;
        try {
            manifest = json.readValue(bytes, Manifest.class);
        } catch (JacksonException e) {
            throw BackupProblems.integrity("the manifest in " + store.bucket(region) + " cannot be read: " + e.getOriginalMessage());
        }
        String inconsistency = ObjectVerifier.inconsistency(manifest);
        if (inconsistency != null) {
            throw BackupProblems.integrity(inconsistency);
        }
        return manifest;
    }

    /**
     * What is missing or of the wrong size in {@code region}'s bucket, without reading a byte of it: the object's size (one
     * {@code HEAD}), or every part object's presence and size (one {@code LIST} per thousand of them), no other object under
     * their prefix included. Null when everything is there with the manifest's sizes.
     */
    public @Nullable String missing(String region, Manifest manifest) {
        if (!manifest.partObjects()) {
            long size = store.size(region, manifest.objectKey()).orElse(-1L);
            return size == manifest.size() ? null
                    : size < 0 ? "object missing" : "object is " + size + " bytes, the manifest says " + manifest.size();
        }
        String prefix = Manifest.partsPrefix(manifest.objectKey());
        SortedMap<String, Long> found = store.list(region, prefix);
        int count = manifest.objectCount();
        for (int object = 1; object <= count; object++) {
            String key = manifest.partObjectKey(object);
            int[] range = manifest.partsOfObject(object);
            String what = "part object " + object + " of " + count + " (" + key + ", part" + (range[1] - range[0] == 1 ? " " + range[1]
                    : "s " + (range[0] + 1) + "-" + range[1]) + ")";
            Long size = found.remove(key);
            if (size == null) {
                return what + " is missing from " + store.bucket(region);
            }
            if (size != manifest.objectSize(object)) {
                return what + " is " + size + " bytes, the manifest says " + manifest.objectSize(object);
            }
        }
        return found.isEmpty() ? null : found.size() + " object(s) under " + prefix + " that the manifest does not list, "
                + found.firstKey() + " the first";
    }

    /**
     * Re-reads the object (or its part objects, after {@link #missing} found each of them there) in {@code region}'s bucket
     * and checks it against the manifest.
     */
    public ObjectVerifier.Result verify(String region, Manifest manifest) throws IOException {
        if (manifest.partObjects()) {
            String missing = missing(region, manifest);
            if (missing != null) {
                return new ObjectVerifier.Result(false, missing, 0);
            }
            try (InputStream in = store.openParts(region, manifest.objectKey(), manifest.objectCount())) {
                return ObjectVerifier.verify(in, manifest, null, n -> { }, () -> false);
            } catch (ObjectStore.MissingPart e) { // deleted since it was listed
                return new ObjectVerifier.Result(false, e.getMessage(), 0);
            }
        }
        var size = store.size(region, manifest.objectKey());
        if (size.isEmpty()) {
            return new ObjectVerifier.Result(false, "the object " + manifest.objectKey() + " is missing from " + store.bucket(region), 0);
        }
        try (InputStream in = store.open(region, manifest.objectKey()).orElseThrow()) {
            return ObjectVerifier.verify(in, manifest, null, n -> { }, () -> false);
        }
    }

    /**
     * Reads the object with {@code parallel} ranged GETs at once and extracts it (a tar archive) into
     * {@code directory} as its parts arrive; every part is checked against the manifest before any of
     * its bytes is written (see {@link PartReader}). When the result is not ok, or anything throws,
     * {@code directory} is removed again: it holds either the complete, checked archive or nothing.
     *
     * @param directory    an empty or missing directory (the restore's staging directory, never the target)
     * @param directWrites write the larger files with O_DIRECT, past the page cache (see {@link TarExtractor})
     */
    public Extracted extract(String region, Manifest manifest, Path directory, int parallel, boolean directWrites, LongConsumer progress,
            BooleanSupplier cancelled) throws IOException {
        Files.createDirectories(directory);
        TarExtractor tar = new TarExtractor(directory, directWrites);
        boolean kept = false;
        try {
            ObjectVerifier.Result result = PartReader.read(store, region, manifest, parallel, tar, progress, cancelled);
            if (result.ok()) {
                tar.close();
                kept = true;
            }
            return new Extracted(result, tar.files(), tar.fileBytes());
        } finally {
            if (!kept) {
                tar.abandon();
                LocalFiles.deleteTree(directory);
            }
        }
    }

    /**
     * An extraction's outcome.
     *
     * @param check     the object checked against the manifest
     * @param files     regular files written
     * @param fileBytes bytes written into them
     */
    public record Extracted(ObjectVerifier.Result check, long files, long fileBytes) {
    }

    /**
     * Downloads the object to {@code file} with {@code parallel} parts in flight (ranged GETs, see {@link PartReader}); every
     * part is checked against the manifest before any of its bytes is written. The file is kept only if every part and the
     * whole object matched (else it is deleted and the result says why). A zstd-compressed logical backup
     * ({@link DumpCompression}) is decompressed as its checked parts arrive, so the file is always an archive
     * {@code pg_restore} reads as it is.
     */
    public ObjectVerifier.Result download(String region, Manifest manifest, Path file, int parallel, LongConsumer progress,
            BooleanSupplier cancelled) throws IOException {
        Files.createDirectories(file.getParent());
        ObjectVerifier.Result result;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            if (DumpCompression.isZstd(manifest.toolVersions())) {
                // the archive pg_dump -Z0 wrote to a pipe, laid out as pg_dump lays out a file (see ArchiveRechunker)
                // decompressing on the part reader's writing thread, laying out and writing the file on another
                ArchiveRechunker layout = new ArchiveRechunker(channel);
                HandoffChannel handoff = new HandoffChannel(layout, 3, 4 << 20, "archive-writer");
                DumpCompression.Inflating inflating = DumpCompression.inflating(handoff);
                try {
                    result = PartReader.read(store, region, manifest, parallel, inflating, progress, cancelled);
                    if (result.ok()) {
                        try {
                            inflating.close();
                        } catch (IOException e) { // every part matched: a bug on the writing side, not damage
                            throw new IOException("the object matches its manifest but does not decompress: " + e.getMessage(), e);
                        }
                        handoff.close();
                        ArchiveRechunker.Summary summary = layout.finish();
                        log.info("Backup {}: {} bytes decompressed for pg_restore; {}", manifest.backupId(), inflating.written(), summary.rewritten()
                                ? summary.blocks() + " data block(s), " + summary.chunksIn() + " chunks written as " + summary.chunksOut()
                                        + ", " + summary.offsetsSet() + " data position(s) set"
                                : "layout left as it was: " + summary.note());
                    }
                } finally {
                    inflating.release();
                    handoff.abandon();
                }
            } else {
                result = PartReader.read(store, region, manifest, parallel, Channels.newOutputStream(channel), progress, cancelled);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        if (!result.ok()) {
            Files.deleteIfExists(file);
        }
        return result;
    }
}
