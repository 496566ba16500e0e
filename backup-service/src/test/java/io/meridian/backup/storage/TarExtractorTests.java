package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming tar extraction a physical restore writes its staging directory with: archives made by GNU tar, and hostile ones. */
class TarExtractorTests {

    @TempDir
    Path temp;

    private byte[] tarOf(Path source, String... members) throws Exception {
        Path archive = temp.resolve("archive-" + System.nanoTime() + ".tar");
        List<String> command = new java.util.ArrayList<>(List.of("tar", "--format=ustar", "-cf", archive.toString(), "-C", source.toString()));
        command.addAll(List.of(members));
        Process tar = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as(output).isZero();
        return Files.readAllBytes(archive);
    }

    /** Writes {@code bytes} in chunks of varying sizes, as parts arrive. */
    private static void feed(TarExtractor extractor, byte[] bytes) throws IOException {
        Random random = new Random(3);
        for (int offset = 0; offset < bytes.length; ) {
            int n = Math.min(bytes.length - offset, 1 + random.nextInt(3000));
            extractor.write(bytes, offset, n);
            offset += n;
        }
    }

    @Test
    void aGnuTarArchiveIsExtractedWithItsFilesDirectoriesAndModes() throws Exception {
        Path source = Files.createDirectories(temp.resolve("source"));
        Files.createDirectories(source.resolve("base/1"));
        Files.createDirectories(source.resolve("pg_wal/archive_status"));
        byte[] large = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(large);
        Files.write(source.resolve("base/1/16384"), large);
        Files.write(source.resolve("PG_VERSION"), "15\n".getBytes(StandardCharsets.US_ASCII));
        Files.write(source.resolve("empty"), new byte[0]);
        Files.setPosixFilePermissions(source.resolve("PG_VERSION"), PosixFilePermissions.fromString("rw-------"));
        byte[] archive = tarOf(source, ".");

        Path target = Files.createDirectories(temp.resolve("target"));
        TarExtractor extractor = new TarExtractor(target);
        feed(extractor, archive);
        extractor.close();

        assertThat(Files.readAllBytes(target.resolve("base/1/16384"))).isEqualTo(large);
        assertThat(Files.readString(target.resolve("PG_VERSION"))).isEqualTo("15\n");
        assertThat(target.resolve("empty")).isEmptyFile();
        assertThat(target.resolve("pg_wal/archive_status")).isDirectory();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("PG_VERSION")))).isEqualTo("rw-------");
        assertThat(extractor.files()).isEqualTo(3);
        assertThat(extractor.fileBytes()).isEqualTo(large.length + 3);
    }

    @Test
    void directWritesKeepEveryByteOfFilesOfEverySize() throws Exception {
        Path source = Files.createDirectories(temp.resolve("source"));
        int[] sizes = {TarExtractor.DIRECT_MIN - 1, TarExtractor.DIRECT_MIN, TarExtractor.DIRECT_MIN + 1, 3 * 8192, 4 << 20,
                (4 << 20) + 4097, (9 << 20) + 511, 16 << 20};
        Random random = new Random(7);
        byte[][] contents = new byte[sizes.length][];
        String[] names = new String[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            contents[i] = new byte[sizes[i]];
            random.nextBytes(contents[i]);
            names[i] = "f" + i;
            Files.write(source.resolve(names[i]), contents[i]);
        }
        Files.setPosixFilePermissions(source.resolve("f7"), PosixFilePermissions.fromString("rw-------"));
        byte[] archive = tarOf(source, names);

        Path target = Files.createDirectories(temp.resolve("target"));
        TarExtractor extractor = new TarExtractor(target, true);
        // in part-sized chunks as a restore hands them over, and in small ones
        for (int offset = 0, i = 0; offset < archive.length; i++) {
            int n = Math.min(archive.length - offset, i % 2 == 0 ? 8 << 20 : 1 + random.nextInt(5000));
            extractor.write(archive, offset, n);
            offset += n;
        }
        extractor.close();

        assertThat(extractor.writesDirectly()).as("O_DIRECT taken by the file system under test").isTrue();
        for (int i = 0; i < sizes.length; i++) {
            assertThat(Files.size(target.resolve(names[i]))).as(names[i]).isEqualTo(sizes[i]);
            assertThat(Arrays.equals(Files.readAllBytes(target.resolve(names[i])), contents[i])).as(names[i]).isTrue();
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("f7")))).isEqualTo("rw-------");

        // cut inside a file written directly: refused at close, as through the page cache
        Path cut = Files.createDirectories(temp.resolve("cut"));
        TarExtractor stopped = new TarExtractor(cut, true);
        // f0's header and data (DIRECT_MIN - 1 bytes, padded to DIRECT_MIN), f1's header, then 100,000 of f1's bytes
        stopped.write(archive, 0, 512 + TarExtractor.DIRECT_MIN + 512 + 100_000);
        assertThatThrownBy(stopped::close).hasMessageContaining("bytes missing");
    }

    @Test
    void anArchiveThatStopsEarlyIsRefusedWhenClosed() throws Exception {
        Path source = Files.createDirectories(temp.resolve("source"));
        Files.write(source.resolve("data"), new byte[100_000]);
        byte[] archive = tarOf(source, "data");

        for (int cut : new int[] {50_000, 512 + 100_352, 512 + 100_352 + 512}) {
            Path target = Files.createDirectories(temp.resolve("cut-" + cut));
            TarExtractor extractor = new TarExtractor(target);
            extractor.write(Arrays.copyOf(archive, cut), 0, cut);
            assertThatThrownBy(extractor::close).as("cut at %d", cut).isInstanceOf(IOException.class).hasMessageContaining("the tar archive ends");
        }
    }

    @Test
    void linksAreRefused() throws Exception {
        Path source = Files.createDirectories(temp.resolve("source"));
        Files.createSymbolicLink(source.resolve("escape"), Path.of("/etc"));
        byte[] archive = tarOf(source, "escape");

        Path target = Files.createDirectories(temp.resolve("target"));
        TarExtractor extractor = new TarExtractor(target);
        assertThatThrownBy(() -> feed(extractor, archive)).isInstanceOf(IOException.class).hasMessageContaining("has type '2'");
        assertThat(target.resolve("escape")).doesNotExist();
    }

    @Test
    void namesThatLeaveTheDirectoryAreRefused() throws Exception {
        for (String name : List.of("../outside", "/etc/cron.d/evil", "base/../../outside", "a//b")) {
            Path target = Files.createDirectories(temp.resolve("target-" + Math.abs(name.hashCode())));
            TarExtractor extractor = new TarExtractor(target);
            assertThatThrownBy(() -> extractor.write(header(name, 5), 0, 512)).as(name).isInstanceOf(IOException.class)
                    .hasMessageContaining("tar entry name " + name);
        }
        assertThat(temp.resolve("outside")).doesNotExist();
    }

    @Test
    void aDamagedHeaderIsRefused() throws Exception {
        byte[] header = header("file", 5);
        header[0] = 'g';
        TarExtractor extractor = new TarExtractor(Files.createDirectories(temp.resolve("target")));
        assertThatThrownBy(() -> extractor.write(header, 0, 512)).isInstanceOf(IOException.class).hasMessageContaining("checksum");
    }

    /** A ustar header of a regular file with a correct checksum. */
    private static byte[] header(String name, int size) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000600");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, "00000000000");
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        return h;
    }

    private static void put(byte[] h, int offset, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, h, offset, bytes.length);
    }
}
