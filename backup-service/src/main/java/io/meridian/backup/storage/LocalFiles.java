package io.meridian.backup.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Local scratch files of restores (staging data directories), removed whole. */
public final class LocalFiles {

    private static final Logger log = LoggerFactory.getLogger(LocalFiles.class);

    private LocalFiles() {
    }

    /** Removes {@code dir} and everything under it, if it exists; what cannot be removed is logged, not thrown. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("Could not remove {}: {}", dir, e.toString());
        }
    }

    /**
     * Makes the entries of {@code dir} durable (fsync of the directory itself): after a rename into it, so that a crash right
     * after a restore reported success cannot bring back the state before the rename.
     */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
