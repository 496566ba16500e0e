package io.meridian.backup.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A running client tool: stdout is a stream for the caller (or discarded), stderr goes to a file
 * (never a pipe nobody drains). {@link #cancel()} kills it and its children.
 */
public final class ToolProcess implements AutoCloseable {

    private final Process process;
    private final List<String> command;
    private final Path stderr;

    private ToolProcess(Process process, List<String> command, Path stderr) {
        this.process = process;
        this.command = command;
        this.stderr = stderr;
    }

    static ToolProcess start(List<String> command, Path stderr, boolean discardStdout) throws IOException {
        Files.createDirectories(stderr.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(stderr.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (discardStdout) {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        Map<String, String> env = builder.environment();
        env.put("PGCONNECT_TIMEOUT", "10");
        env.put("LC_ALL", "C.UTF-8");
        env.put("PGAPPNAME", "meridian-backup");
        return new ToolProcess(builder.start(), command, stderr);
    }

    public InputStream stdout() {
        return process.getInputStream();
    }

    /** Waits for the exit; throws with the tool's stderr if it failed. */
    public void awaitSuccess() throws IOException {
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            throw new IOException("interrupted while " + command.getFirst() + " ran", e);
        }
        if (code != 0) {
            throw new IOException(Path.of(command.getFirst()).getFileName() + " exited with " + code + ": " + stderrTail());
        }
    }

    /** The last lines the tool wrote to stderr. */
    public String stderrTail() {
        try {
            String text = Files.readString(stderr, StandardCharsets.UTF_8).strip();
            return text.length() > 1500 ? text.substring(text.length() - 1500) : text;
        } catch (IOException e) {
            return "(no stderr)";
        }
    }

    /** The whole stderr text. */
    public String stderrText() {
        try {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Kills the tool and the processes it started (pg_restore -j workers). */
    public void cancel() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            cancel();
        }
        try {
            Files.deleteIfExists(stderr);
        } catch (IOException ignored) {
            // a leftover log file in the work directory is harmless
        }
    }
}
