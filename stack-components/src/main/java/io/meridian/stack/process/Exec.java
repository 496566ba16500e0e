package io.meridian.stack.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * Runs short-lived commands (initdb, pg_ctl, a storage formatter...) to completion and captures
 * their combined output. The output goes through a temporary file rather than a pipe so that a
 * daemon the command leaves behind can never block the caller.
 */
public final class Exec {

    private Exec() {
    }

    /**
     * The outcome of a command.
     *
     * @param command the command that ran
     * @param exitCode its exit code
     * @param output its stdout and stderr, interleaved
     */
    public record Result(List<String> command, int exitCode, String output) {

        /**
         * Whether the command exited with 0.
         *
         * @return {@code true} for exit code 0
         */
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /**
     * Runs a command in {@code /} with the current environment.
     *
     * @param command the command and its arguments
     * @param timeout how long it may take; after that it is killed and this method throws
     * @return the result, whatever the exit code
     */
    public static Result run(List<String> command, Duration timeout) {
        return run(command, Map.of(), Path.of("/"), timeout);
    }

    /**
     * Runs a command.
     *
     * @param command the command and its arguments
     * @param env variables added to (or replacing those of) the current environment
     * @param workDir the working directory
     * @param timeout how long it may take; after that it is killed and this method throws
     * @return the result, whatever the exit code
     * @throws IllegalStateException if it cannot be started or times out
     */
    public static Result run(List<String> command, Map<String, String> env, Path workDir, Duration timeout) {
        @Nullable Path out = null;
        try {
            out = Files.createTempFile("meridian-exec-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(out.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException("Timed out after " + timeout.toMillis() + " ms waiting for "
                        + String.join(" ", command) + " to finish; its output:\n" + read(out));
            }
            return new Result(List.copyOf(command), process.exitValue(), read(out));
        } catch (IOException e) {
            throw new IllegalStateException("Could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + String.join(" ", command), e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    /**
     * Runs a command in {@code /} and insists on exit code 0.
     *
     * @param command the command and its arguments
     * @param timeout how long it may take
     * @return the result (exit code 0)
     * @throws IllegalStateException with the command's output if it fails or times out
     */
    public static Result runChecked(List<String> command, Duration timeout) {
        Result result = run(command, timeout);
        if (!result.succeeded()) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + result.exitCode()
                    + ":\n" + result.output().strip());
        }
        return result;
    }

    /**
     * Prefixes {@code command} so that it runs as the operating-system user {@code user}: with
     * {@code runuser -u user --} when the current process is root (and {@code user} is not root),
     * unchanged otherwise (a non-root caller can only run things as itself).
     *
     * @param user the user name, e.g. {@code postgres}
     * @param command the command
     * @return the command to run
     */
    public static List<String> asUser(String user, List<String> command) {
        if (!Processes.isRoot() || "root".equals(user)) {
            return List.copyOf(command);
        }
        List<String> wrapped = new ArrayList<>(command.size() + 4);
        wrapped.add(Processes.tool("runuser").toString());
        wrapped.add("-u");
        wrapped.add(user);
        wrapped.add("--");
        wrapped.addAll(command);
        return wrapped;
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "<unreadable output: " + e + ">";
        }
    }
}
