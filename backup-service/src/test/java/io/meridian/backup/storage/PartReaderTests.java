package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.function.UnaryOperator;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.util.unit.DataSize;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.topology.RegionTopology;
import io.meridian.common.region.ResidencyZone;

/**
 * The checked, parallel part reads of a physical restore, with the parts hashed in vector lanes ({@code lanes}) and with the
 * JDK's SHA-256 on the reading threads ({@code jdk}, the fallback): the sink gets exactly the object, in order, and only
 * parts that matched the manifest; a damaged part stops the read at that part.
 */
class PartReaderTests {

    private static final int PART = 64 * 1024;

    /** Objects held in memory, served through ranged reads as the S3 client would. */
    private static final class MemoryStore extends ObjectStore {

        private final Map<String, byte[]> objects = new java.util.HashMap<>();
        /** Ranged reads opened and not yet closed. */
        final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();

        /** {@code object} as one object at "key". */
        MemoryStore(byte[] object) {
            super(properties(), new RegionTopology(properties()));
            objects.put("key", object);
        }

        private MemoryStore() {
            super(properties(), new RegionTopology(properties()));
        }

        /** {@code object} as part objects of {@code perObject} parts of "key" ({@code PARTS} layout). */
        static MemoryStore parts(byte[] object, int perObject) {
            MemoryStore store = new MemoryStore();
            int n = 1;
            for (int offset = 0; offset < object.length || n == 1; offset += perObject * PART, n++) {
                store.objects.put(Manifest.partObjectKey("key", n),
                        Arrays.copyOfRange(object, offset, Math.min(object.length, offset + perObject * PART)));
            }
            return store;
        }

        private static BackupProperties properties() {
            RegionSettings region = new RegionSettings(ResidencyZone.US, 0, 0, "127.0.0.1", 5432, "postgres", "bucket", null, null, null);
            return new BackupProperties(Map.of("us-east-1", region), new BackupProperties.S3(URI.create("https://127.0.0.1:1"), "us-east-1", true, "a",
                    "b", BackupProperties.TransitChecksum.MD5), DataSize.ofMegabytes(8), 3, 6, Path.of("/tmp"), null,
                    BackupProperties.LogicalCompression.ZSTD, 1, 3, 1, 2,
                    Duration.ofSeconds(5), Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(5), "test", true, 2, null, BackupProperties.ObjectLayout.PARTS, 3, true);
        }

        @Override
        public String bucket(String region) {
            return "bucket";
        }

        @Override
        public Optional<RangeRead> openRange(String region, String key, long first, long last) {
            byte[] object = objects.get(key);
            if (object == null) {
                return Optional.empty();
            }
            int end = (int) Math.min(object.length, last + 1);
            byte[] range = Arrays.copyOfRange(object, (int) first, Math.max((int) first, end));
            open.incrementAndGet();
            return Optional.of(new RangeRead(new ByteArrayInputStream(range) {
                @Override
                public void close() {
                    open.decrementAndGet();
                }
            }, object.length, range.length));
        }
    }

    private static Manifest manifest(byte[] object) {
        return manifest(object, null, null);
    }

    private static Manifest manifest(byte[] object, BackupProperties.@Nullable ObjectLayout layout, @Nullable Integer perObject) {
        List<Manifest.Part> parts = new ArrayList<>();
        for (int offset = 0, n = 1; offset < object.length; offset += PART, n++) {
            int size = Math.min(PART, object.length - offset);
            parts.add(new Manifest.Part(n, size, Hex.sha256(Arrays.copyOfRange(object, offset, offset + size))));
        }
        if (parts.isEmpty() && layout == BackupProperties.ObjectLayout.PARTS) {
            parts.add(new Manifest.Part(1, 0, Hex.sha256(new byte[0]))); // an empty upload stores one empty part object
        }
        return new Manifest(Checksums.COMPOSITE_FORMAT, UUID.randomUUID(), "PHYSICAL", "us-east-1", "db", "US", Instant.now(), "key", object.length,
                Checksums.compositeOf(parts), PART, parts, null, null, Map.of(), List.of(), null, Checksums.COMPOSITE, layout, perObject);
    }

    private static PartDigests.@Nullable Engine engine(String name) {
        return name.equals("lanes") ? new Sha256Lanes() : null;
    }

    private static byte[] object(int length) {
        byte[] object = new byte[length];
        new Random(length).nextBytes(object);
        return object;
    }

    private static ObjectVerifier.Result read(byte[] stored, Manifest manifest, ByteArrayOutputStream sink, String engine) throws Exception {
        return PartReader.read(new MemoryStore(stored), "us-east-1", manifest, 6, sink, n -> { }, () -> false, engine(engine));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void readsTheWholeObjectInOrder(String engine) throws Exception {
        // 37 parts, the last one short: batches of 8 equal parts, a remainder, and a part of another length
        for (int length : new int[] {37 * PART - 1000, 8 * PART, PART + 1, 1, 0}) {
            byte[] object = object(length);
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            ObjectVerifier.Result result = read(object, manifest(object), sink, engine);
            assertThat(result.ok()).as("%d bytes: %s", length, result.detail()).isTrue();
            assertThat(sink.toByteArray()).isEqualTo(object);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void aDamagedPartStopsTheReadBeforeAnyOfItsBytesReachTheSink(String engine) throws Exception {
        byte[] object = object(30 * PART + 77);
        Manifest manifest = manifest(object);
        for (int damaged : new int[] {0, 9, 17, 29, 30}) {
            byte[] stored = object.clone();
            stored[damaged * PART + 3] ^= 0x40;
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            ObjectVerifier.Result result = read(stored, manifest, sink, engine);
            assertThat(result.ok()).isFalse();
            assertThat(result.detail()).contains("part " + (damaged + 1) + " of 31");
            assertThat(sink.toByteArray()).as("only the parts before the damaged one").isEqualTo(Arrays.copyOf(object, damaged * PART));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void aTruncatedObjectIsReported(String engine) throws Exception {
        byte[] object = object(20 * PART);
        UnaryOperator<byte[]> truncate = o -> Arrays.copyOf(o, 13 * PART + 5);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ObjectVerifier.Result result = read(truncate.apply(object), manifest(object), sink, engine);
        assertThat(result.ok()).isFalse();
        assertThat(result.detail()).contains("object has " + (13 * PART + 5) + " bytes, the manifest says " + (20 * PART));
        assertThat(sink.size()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void cancellingStopsAtAPartBoundaryWithNoReadLeftOpen(String engine) throws Exception {
        byte[] object = object(40 * PART);
        MemoryStore store = new MemoryStore(object);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        // cancelled once five parts have been written: the writer is cancelled while the checker and readers are ahead of it
        assertThatThrownBy(() -> PartReader.read(store, "us-east-1", manifest(object), 6, sink, n -> { }, () -> sink.size() >= 5 * PART,
                engine(engine))).isInstanceOf(ObjectVerifier.Cancelled.class);
        assertThat(sink.size()).isEqualTo(5 * PART);
        assertThat(sink.toByteArray()).isEqualTo(Arrays.copyOf(object, 5 * PART));
        assertThat(store.open).as("ranged reads still open after the read returned").hasValue(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void aFailingSinkEndsTheReadWithItsErrorAndNoReadLeftOpen(String engine) throws Exception {
        byte[] object = object(40 * PART);
        MemoryStore store = new MemoryStore(object);
        OutputStream sink = new OutputStream() {
            private int writes;

            @Override
            public void write(int b) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (++writes == 3) {
                    throw new IOException("no space left on device");
                }
            }
        };
        assertThatThrownBy(() -> PartReader.read(store, "us-east-1", manifest(object), 6, sink, n -> { }, () -> false, engine(engine)))
                .isInstanceOf(IOException.class).hasMessage("no space left on device");
        assertThat(store.open).as("ranged reads still open after the read returned").hasValue(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void theSinkGetsWholeCheckedPartsInOrderWhateverTheNumberInFlight(String engine) throws Exception {
        byte[] object = object(50 * PART - 123);
        Manifest manifest = manifest(object);
        for (int parallel : new int[] {1, 2, 3, 9, 12, 24}) {
            List<Integer> writes = new ArrayList<>();
            ByteArrayOutputStream sink = new ByteArrayOutputStream() {
                @Override
                public synchronized void write(byte[] b, int off, int len) {
                    writes.add(len);
                    super.write(b, off, len);
                }
            };
            ObjectVerifier.Result result = PartReader.read(new MemoryStore(object), "us-east-1", manifest, parallel, sink, n -> { },
                    () -> false, engine(engine));
            assertThat(result.ok()).as("%d in flight: %s", parallel, result.detail()).isTrue();
            assertThat(sink.toByteArray()).isEqualTo(object);
            assertThat(writes).as("one write per part").hasSize(50).allMatch(n -> n == PART || n == PART - 123);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void aDamagedPartStopsTheReadWhateverTheNumberInFlight(String engine) throws Exception {
        byte[] object = object(45 * PART);
        Manifest manifest = manifest(object);
        byte[] stored = object.clone();
        stored[33 * PART + 1] ^= 0x01;
        for (int parallel : new int[] {1, 3, 9, 24}) {
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            MemoryStore store = new MemoryStore(stored);
            ObjectVerifier.Result result = PartReader.read(store, "us-east-1", manifest, parallel, sink, n -> { }, () -> false, engine(engine));
            assertThat(result.ok()).isFalse();
            assertThat(result.detail()).contains("part 34 of 45");
            assertThat(sink.toByteArray()).isEqualTo(Arrays.copyOf(object, 33 * PART));
            assertThat(store.open).hasValue(0);
        }
    }
    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void partObjectsAreReadWholeAndInOrder(String engine) throws Exception {
        for (int perObject : new int[] {1, 3}) {
            for (int length : new int[] {37 * PART - 1000, 8 * PART, 3 * PART, PART + 1, 1, 0}) {
                byte[] object = object(length);
                MemoryStore store = MemoryStore.parts(object, perObject);
                for (int parallel : new int[] {1, 6, 24}) {
                    ByteArrayOutputStream sink = new ByteArrayOutputStream();
                    ObjectVerifier.Result result = PartReader.read(store, "us-east-1", manifest(object, BackupProperties.ObjectLayout.PARTS,
                            perObject), parallel, sink, n -> { }, () -> false, engine(engine));
                    assertThat(result.ok()).as("%d per object, %d bytes, %d in flight: %s", perObject, length, parallel, result.detail()).isTrue();
                    assertThat(sink.toByteArray()).isEqualTo(object);
                    assertThat(store.open).hasValue(0);
                }
            }
        }
    }

    /**
     * Part object 6 (parts 16-18) damaged in its last part, missing, cut short, grown or swapped with object 7: the read stops
     * at the first part it cannot vouch for, and the sink has every part before it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void aDamagedPartObjectStopsTheReadAtItsFirstBadPart(String engine) throws Exception {
        byte[] object = object(30 * PART + 77);
        Manifest manifest = manifest(object, BackupProperties.ObjectLayout.PARTS, 3);
        String sixth = Manifest.partObjectKey("key", 6);
        record Damage(String found, int goodParts, java.util.function.Consumer<MemoryStore> apply) {
        }
        List<Damage> damages = List.of(
                new Damage("part 18 of 31 (bytes", 17, s -> s.objects.get(sixth)[2 * PART + PART / 2] ^= 0x08),
                new Damage("part 16 of 31 (key.parts/000006) is missing", 15, s -> s.objects.remove(sixth)),
                new Damage("part object key.parts/000006 has " + (3 * PART - 1) + " bytes, the manifest says " + 3 * PART, 15,
                        s -> s.objects.put(sixth, Arrays.copyOf(s.objects.get(sixth), 3 * PART - 1))),
                new Damage("part object key.parts/000006 has " + (3 * PART + 1) + " bytes, the manifest says " + 3 * PART, 15,
                        s -> s.objects.put(sixth, Arrays.copyOf(s.objects.get(sixth), 3 * PART + 1))),
                new Damage("part 16 of 31 (bytes", 15, s -> s.objects.put(sixth, s.objects.get(Manifest.partObjectKey("key", 7)))));
        for (Damage damage : damages) {
            MemoryStore store = MemoryStore.parts(object, 3);
            damage.apply().accept(store);
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            ObjectVerifier.Result result = PartReader.read(store, "us-east-1", manifest, 6, sink, n -> { }, () -> false, engine(engine));
            assertThat(result.ok()).as(damage.found()).isFalse();
            assertThat(result.detail()).contains(damage.found());
            assertThat(sink.toByteArray()).as("only the parts before the damaged one").isEqualTo(Arrays.copyOf(object, damage.goodParts() * PART));
            assertThat(store.open).hasValue(0);
        }
    }
}
