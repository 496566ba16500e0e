package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;

/** Manifest formats 1 (whole-object SHA-256) and 2 (composite of the part digests) against damaged objects. */
class ObjectVerifierTests {

    private static final int PART = 1000;

    private static byte[] object(int size) {
        byte[] bytes = new byte[size];
        new Random(7).nextBytes(bytes);
        return bytes;
    }

    private static List<Manifest.Part> parts(byte[] object) {
        List<Manifest.Part> parts = new ArrayList<>();
        for (int offset = 0, n = 1; offset < object.length; offset += PART, n++) {
            int size = Math.min(PART, object.length - offset);
            parts.add(new Manifest.Part(n, size, Hex.sha256(Arrays.copyOfRange(object, offset, offset + size))));
        }
        return parts;
    }

    private static Manifest manifest(int format, byte[] object) {
        List<Manifest.Part> parts = parts(object);
        String checksum = format == 1 ? Hex.sha256(object) : Checksums.compositeOf(parts);
        return new Manifest(format, UUID.randomUUID(), "LOGICAL", "us-east-1", "app", "US", Instant.now(), "k", object.length, checksum,
                PART, parts, null, null, Map.of(), List.of(), null, format == 1 ? null : Checksums.COMPOSITE, null, null);
    }

    private static ObjectVerifier.Result verify(byte[] stored, Manifest manifest) throws IOException {
        return ObjectVerifier.verify(new ByteArrayInputStream(stored), manifest, null, n -> { }, () -> false);
    }

    @Test
    void theCompositeChecksumIsTheSha256OfTheConcatenatedPartDigestsWithThePartCount() {
        String a = Hex.sha256(new byte[] {1});
        String b = Hex.sha256(new byte[] {2});
        byte[] concatenated = java.util.HexFormat.of().parseHex(a + b);
        assertThat(Checksums.composite(List.of(a, b))).isEqualTo(Hex.sha256(concatenated) + "-2");
        assertThat(Checksums.composite(List.of(b, a))).as("order matters").isNotEqualTo(Checksums.composite(List.of(a, b)));
    }

    @Test
    void bothFormatsAcceptAnIntactObject() throws IOException {
        byte[] object = object(3500);
        for (int format : new int[] {1, 2}) {
            Manifest manifest = manifest(format, object);
            assertThat(ObjectVerifier.inconsistency(manifest)).isNull();
            ObjectVerifier.Result result = verify(object, manifest);
            assertThat(result.ok()).as(result.detail()).isTrue();
            assertThat(result.detail()).contains(manifest.sha256());
        }
    }

    @Test
    void damageIsFoundWithTheCompositeFormat() throws IOException {
        byte[] object = object(3500);
        Manifest manifest = manifest(2, object);

        byte[] flipped = object.clone();
        flipped[PART + 17] ^= 0x20;
        assertThat(verify(flipped, manifest).detail()).startsWith("part 2 of 4 (bytes 1000-1999) has SHA-256");

        assertThat(verify(Arrays.copyOf(object, 3000), manifest).detail()).startsWith("object ends at byte 3000 inside part 4 of 4");

        byte[] missingPart = new byte[object.length - PART];
        System.arraycopy(object, 0, missingPart, 0, PART);
        System.arraycopy(object, 2 * PART, missingPart, PART, object.length - 2 * PART);
        assertThat(verify(missingPart, manifest).ok()).isFalse();

        byte[] swapped = object(3500);
        swapped[0] ^= 1;
        assertThat(verify(swapped, manifest).detail()).startsWith("part 1 of 4");

        assertThat(verify(Arrays.copyOf(object, 3501), manifest).detail()).contains("longer than the manifest");
    }

    @Test
    void aManifestWhosePartsDisagreeWithItsCompositeIsInconsistent() {
        byte[] object = object(2500);
        Manifest honest = manifest(2, object);
        List<Manifest.Part> edited = new ArrayList<>(honest.parts());
        edited.set(1, new Manifest.Part(2, PART, Hex.sha256(new byte[] {9})));
        Manifest forged = new Manifest(2, honest.backupId(), honest.kind(), honest.region(), honest.source(), honest.zone(),
                honest.createdAt(), honest.objectKey(), honest.size(), honest.sha256(), PART, edited, null, null, Map.of(), List.of(), null,
                Checksums.COMPOSITE, null, null);
        assertThat(ObjectVerifier.inconsistency(forged)).startsWith("manifest parts have the composite checksum");
    }

    @Test
    void aFormatOneManifestWrittenBeforeCompositeChecksumsIsStillReadAndChecked() throws IOException {
        byte[] object = object(2500);
        List<Manifest.Part> parts = parts(object);
        StringBuilder json = new StringBuilder("{\"formatVersion\":1,\"backupId\":\"" + UUID.randomUUID() + "\",\"kind\":\"LOGICAL\","
                + "\"region\":\"us-east-1\",\"source\":\"app\",\"zone\":\"US\",\"createdAt\":\"2026-11-01T02:00:00Z\",\"objectKey\":\"k\","
                + "\"size\":" + object.length + ",\"sha256\":\"" + Hex.sha256(object) + "\",\"partSize\":" + PART + ",\"parts\":[");
        for (Manifest.Part p : parts) {
            json.append(p.number() == 1 ? "" : ",").append("{\"number\":").append(p.number()).append(",\"size\":").append(p.size())
                    .append(",\"sha256\":\"").append(p.sha256()).append("\"}");
        }
        json.append("],\"sourceLsn\":null,\"sourceTime\":null,\"toolVersions\":{},\"contents\":[],\"serverSideEncryption\":null}");
        Manifest old = JsonMapper.builder().findAndAddModules().build().readValue(json.toString(), Manifest.class);

        assertThat(old.composite()).isFalse();
        assertThat(old.checksumType()).isNull();
        assertThat(ObjectVerifier.inconsistency(old)).isNull();
        assertThat(verify(object, old).ok()).isTrue();
        byte[] flipped = object.clone();
        flipped[2400] ^= 1;
        assertThat(verify(flipped, old).detail()).startsWith("part 3 of 3");
    }
}
