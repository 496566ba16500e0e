package io.meridian.backup.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import org.jspecify.annotations.Nullable;

/**
 * Re-reads an object and checks it against its manifest: every part's size and SHA-256 in order,
 * then the total size and the object checksum (format 2: the composite of the part digests just
 * computed, so each byte is hashed once; format 1: the SHA-256 of the whole object). A flipped bit
 * fails its part, a truncated or missing part fails the size (and the part), a swapped object fails
 * the first part. Optionally
 * copies the bytes to {@code sink} as they pass (the restore's local copy, which is used only if the
 * whole check passes).
 */
public final class ObjectVerifier {

    private static final int CHUNK = 1 << 16;

    private ObjectVerifier() {
    }

    /**
     * The outcome.
     *
     * @param ok     whether the object matches
     * @param detail what did not match, or a summary
     * @param bytes  bytes read
     */
    public record Result(boolean ok, String detail, long bytes) {
    }

    /** Thrown by {@link #verify} when {@code cancelled} says so. */
    public static final class Cancelled extends IOException {
        public Cancelled() {
            super("cancelled");
        }
    }

    public static Result verify(InputStream in, Manifest manifest, @Nullable OutputStream sink, LongConsumer progress,
            BooleanSupplier cancelled) throws IOException {
        List<Manifest.Part> parts = manifest.parts();
        // format 1 manifests carry the whole object's SHA-256: only they need the second digest per byte
        @Nullable MessageDigest whole = manifest.composite() ? null : Hex.sha256();
        List<String> partDigests = new java.util.ArrayList<>(parts.size());
        MessageDigest part = Hex.sha256();
        byte[] chunk = new byte[CHUNK];
        int index = 0;
        long inPart = 0;
        long bytes = 0;
        while (true) {
            if (cancelled.getAsBoolean()) {
                throw new Cancelled();
            }
            if (index >= parts.size()) {
                if (in.read() >= 0) {
                    return new Result(false, "object is longer than the manifest's " + manifest.size() + " bytes", bytes + 1);
                }
                break;
            }
            Manifest.Part expected = parts.get(index);
            int want = (int) Math.min(chunk.length, expected.size() - inPart);
            int n = want == 0 ? 0 : in.read(chunk, 0, want);
            if (n < 0) {
                return new Result(false, "object ends at byte " + bytes + " inside part " + expected.number() + " of " + parts.size()
                        + "; the manifest says " + manifest.size() + " bytes (truncated or a part is missing)", bytes);
            }
            if (whole != null) {
                whole.update(chunk, 0, n);
            }
            part.update(chunk, 0, n);
            if (sink != null) {
                sink.write(chunk, 0, n);
            }
            inPart += n;
            bytes += n;
            progress.accept(bytes);
            if (inPart == expected.size()) {
                String actual = Hex.hex(part.digest());
                if (!actual.equals(expected.sha256())) {
                    return new Result(false, "part " + expected.number() + " of " + parts.size() + " (bytes " + (bytes - inPart) + "-"
                            + (bytes - 1) + ") has SHA-256 " + actual + ", the manifest says " + expected.sha256(), bytes);
                }
                partDigests.add(actual);
                index++;
                inPart = 0;
            }
        }
        if (bytes != manifest.size()) {
            return new Result(false, "object has " + bytes + " bytes, the manifest says " + manifest.size(), bytes);
        }
        String actual = whole == null ? Checksums.composite(partDigests) : Hex.hex(whole.digest());
        if (!actual.equals(manifest.sha256())) {
            return new Result(false, "object " + (whole == null ? "composite checksum " : "SHA-256 ") + actual + " differs from the manifest's "
                    + manifest.sha256(), bytes);
        }
        return new Result(true, bytes + " bytes in " + parts.size() + " parts match the manifest (SHA-256 " + actual + ")", bytes);
    }

    /** Checks that the parts of a manifest add up (sizes, numbering) before any byte is read. */
    public static @Nullable String inconsistency(Manifest manifest) {
        if (manifest.formatVersion() < 1 || manifest.formatVersion() > Checksums.COMPOSITE_FORMAT) {
            return "manifest format " + manifest.formatVersion() + " is not known to this version";
        }
        long sum = 0;
        for (int i = 0; i < manifest.parts().size(); i++) {
            Manifest.Part p = manifest.parts().get(i);
            if (p.number() != i + 1) {
                return "manifest part " + (i + 1) + " is numbered " + p.number();
            }
            if (p.size() < 0 || (i < manifest.parts().size() - 1 && p.size() != manifest.partSize())) {
                return "manifest part " + p.number() + " has size " + p.size() + " (part size " + manifest.partSize() + ")";
            }
            sum += p.size();
        }
        if (sum != manifest.size()) {
            return "manifest parts add up to " + sum + " bytes, not " + manifest.size();
        }
        if (manifest.partsPerObject() != null && (manifest.partsPerObject() < 1 || !manifest.partObjects())) {
            return "manifest says " + manifest.partsPerObject() + " parts per object for the layout " + manifest.layout();
        }
        if (manifest.composite()) {
            String composite = Checksums.compositeOf(manifest.parts());
            if (!composite.equals(manifest.sha256())) {
                return "manifest parts have the composite checksum " + composite + ", the manifest says " + manifest.sha256();
            }
        }
        return null;
    }
}
