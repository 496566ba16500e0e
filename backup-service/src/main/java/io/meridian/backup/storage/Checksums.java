package io.meridian.backup.storage;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * The object checksum of manifest format 2: like S3's composite checksums, the SHA-256 over the
 * concatenated (binary) SHA-256 digests of the parts, in part order, written as
 * {@code <hex>-<part count>} so that it is never taken for a hash of the whole byte stream. Each byte
 * is hashed once (in its part); the composite costs one hash over 32 bytes per part.
 */
public final class Checksums {

    /** The manifest format whose {@code sha256} is a composite checksum. */
    public static final int COMPOSITE_FORMAT = 2;
    /** {@code checksumType} of a format-2 manifest. */
    public static final String COMPOSITE = "COMPOSITE";
    /** {@code checksumType} of a format-1 manifest (absent there): the SHA-256 of the whole object. */
    public static final String FULL_OBJECT = "FULL_OBJECT";

    private Checksums() {
    }

    /** The composite checksum of parts whose SHA-256 digests are {@code partSha256Hex}, in order. */
    public static String composite(List<String> partSha256Hex) {
        MessageDigest digest = Hex.sha256();
        HexFormat hex = HexFormat.of();
        for (String part : partSha256Hex) {
            digest.update(hex.parseHex(part));
        }
        return Hex.hex(digest.digest()) + "-" + partSha256Hex.size();
    }

    /** The composite checksum of {@code parts}. */
    public static String compositeOf(List<Manifest.Part> parts) {
        return composite(parts.stream().map(Manifest.Part::sha256).toList());
    }
}
