package io.meridian.backup.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

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

    /** Re-reads the object in {@code region}'s bucket and checks it against the manifest. */
    public ObjectVerifier.Result verify(String region, Manifest manifest) throws IOException {
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
     * @param directory an empty or missing directory (the restore's staging directory, never the target)
     */
    public Extracted extract(String region, Manifest manifest, Path directory, int parallel, LongConsumer progress, BooleanSupplier cancelled)
            throws IOException {
        Files.createDirectories(directory);
        TarExtractor tar = new TarExtractor(directory);
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
     * Downloads the object to {@code file} while checking it; the file is kept only if every part and
     * the whole object matched (else it is deleted and the result says why). A zstd-compressed logical
     * backup ({@link DumpCompression}) is decompressed on the way, so the file is always an archive
     * {@code pg_restore} reads as it is.
     */
    public ObjectVerifier.Result download(String region, Manifest manifest, Path file, LongConsumer progress, BooleanSupplier cancelled)
            throws IOException {
        Files.createDirectories(file.getParent());
        ObjectVerifier.Result result;
        var in = store.open(region, manifest.objectKey());
        if (in.isEmpty()) {
            return new ObjectVerifier.Result(false, "the object " + manifest.objectKey() + " is missing from " + store.bucket(region), 0);
        }
        try (InputStream stream = in.get()) {
            if (DumpCompression.isZstd(manifest.toolVersions())) {
                result = inflating(stream, manifest, file, progress, cancelled);
            } else {
                try (OutputStream out = Files.newOutputStream(file)) {
                    result = ObjectVerifier.verify(stream, manifest, out, progress, cancelled);
                }
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

    /**
     * Checks the object as it streams and decompresses it into {@code file} on a second thread, through a pipe. The check
     * decides: the verifier passes bytes on before their part is checked, so a damaged part may make the decompression
     * fail first, and then the rest is drained unread so that the verifier finishes and reports which part is damaged.
     */
    static ObjectVerifier.Result inflating(InputStream stream, Manifest manifest, Path file, LongConsumer progress,
            BooleanSupplier cancelled) throws IOException {
        PipedInputStream compressed = new PipedInputStream(1 << 20);
        ObjectVerifier.Result result;
        try (ExecutorService inflater = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("dump-inflater").factory())) {
            Future<?> written;
            try (PipedOutputStream pipe = new PipedOutputStream(compressed)) {
                written = inflater.submit(() -> {
                    try {
                        try (InputStream plain = DumpCompression.unzstd(new FilterInputStream(compressed) {
                                    @Override
                                    public void close() {
                                        // the pipe stays open for the drain below
                                    }
                                });
                                OutputStream out = Files.newOutputStream(file)) {
                            byte[] buffer = new byte[1 << 20]; // transferTo's 16 KB would cost a JNI call and a write per 16 KB
                            for (int n; (n = plain.read(buffer)) >= 0; ) {
                                out.write(buffer, 0, n);
                            }
                        }
                        return null;
                    } finally {
                        compressed.transferTo(OutputStream.nullOutputStream()); // until the verifier closes its end
                        compressed.close();
                    }
                });
                result = ObjectVerifier.verify(stream, manifest, pipe, progress, cancelled);
            }
            try {
                written.get();
            } catch (ExecutionException e) {
                if (result.ok()) { // an object that matches its manifest but is no zstd frame (a bug, not damage)
                    throw new IOException("the object matches its manifest but does not decompress: " + e.getCause().getMessage(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while decompressing", e);
            }
        }
        return result;
    }
}
