package io.meridian.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch directories for tests that the {@code postgres} user can traverse (JUnit's
 * {@code @TempDir} is mode 700 and owned by the caller, which locks out PostgreSQL when the tests
 * run as root).
 */
public final class TestDirs {

    private TestDirs() {
    }

    /**
     * Creates {@code /tmp/<prefix>NNN} with mode 755.
     *
     * @param prefix the name prefix
     * @return the directory
     */
    public static Path create(String prefix) {
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Deletes a directory tree. A PostgreSQL data directory has about a thousand files, which some
     * sandboxed file systems take seconds to delete, so the deletion runs in a detached
     * {@code rm -rf} that outlives the test JVM if need be; without {@code rm}, it runs here.
     *
     * @param dir the directory
     */
    public static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            new ProcessBuilder("rm", "-rf", "--", dir.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            deleteNow(dir);
        }
    }

    private static void deleteNow(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
