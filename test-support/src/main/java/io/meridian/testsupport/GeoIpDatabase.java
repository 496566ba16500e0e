package io.meridian.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The GeoLite2 City database for tests: {@code MERIDIAN_GEOIP_DB} if set, else the cache that
 * {@code scripts/fetch-geoip.sh} fills (running the script when the database is not there yet).
 */
public final class GeoIpDatabase {

    private static volatile Path path;

    private GeoIpDatabase() {
    }

    /** The database file, fetched on first use if needed. */
    public static synchronized Path path() {
        if (path != null) {
            return path;
        }
        String configured = System.getenv("MERIDIAN_GEOIP_DB");
        if (configured != null && !configured.isBlank()) {
            path = Path.of(configured);
            return path;
        }
        Path script = findScript();
        try {
            Process process = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0 || out.isEmpty()) {
                throw new IllegalStateException(script + " failed (exit " + process.exitValue() + "); the GeoIP tests need GeoLite2 City");
            }
            path = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
            return path;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path findScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("scripts/fetch-geoip.sh");
            if (Files.isRegularFile(script)) {
                return script;
            }
        }
        throw new IllegalStateException("scripts/fetch-geoip.sh not found above " + Path.of("").toAbsolutePath());
    }
}
