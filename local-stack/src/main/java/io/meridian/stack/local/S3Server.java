package io.meridian.stack.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.stack.Waits;

/**
 * An S3-compatible server in this JVM: s3proxy with its filesystem blob store (one directory per
 * bucket under {@code <dir>/blobs}), checking AWS signature v2 and v4 against one access key whose
 * secret is generated once and kept in {@code <dir>/credentials} (AWS CLI credentials-file format,
 * profile {@value #PROFILE}).
 */
public final class S3Server implements AutoCloseable {

    /** The profile name in the credentials file. */
    public static final String PROFILE = "meridian";

    private static final Logger LOG = LoggerFactory.getLogger(S3Server.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private final S3Proxy proxy;
    private final FilesystemNio2BlobStore store;
    private final URI endpoint;
    private final Credentials credentials;

    private S3Server(S3Proxy proxy, FilesystemNio2BlobStore store, URI endpoint, Credentials credentials) {
        this.proxy = proxy;
        this.store = store;
        this.endpoint = endpoint;
        this.credentials = credentials;
    }

    /**
     * An access key and its secret.
     *
     * @param accessKeyId     the access key id (20 upper-case letters and digits)
     * @param secretAccessKey the secret (40 characters)
     */
    public record Credentials(String accessKeyId, String secretAccessKey) {

        /** Checks both are present. */
        public Credentials {
            Objects.requireNonNull(accessKeyId, "accessKeyId");
            Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        }

        /** Reads {@code <dir>/credentials}, or generates new credentials and writes them there (mode 600). */
        public static Credentials loadOrCreate(Path dir) {
            Path file = dir.resolve("credentials");
            try {
                if (Files.exists(file)) {
                    String id = null;
                    String secret = null;
                    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                        String[] kv = line.split("=", 2);
                        if (kv.length == 2 && kv[0].strip().equals("aws_access_key_id")) {
                            id = kv[1].strip();
                        } else if (kv.length == 2 && kv[0].strip().equals("aws_secret_access_key")) {
                            secret = kv[1].strip();
                        }
                    }
                    if (id != null && secret != null) {
                        return new Credentials(id, secret);
                    }
                    throw new IllegalStateException(file + " lacks aws_access_key_id or aws_secret_access_key");
                }
                StringBuilder id = new StringBuilder("MERIDIAN");
                while (id.length() < 20) {
                    id.append(KEY_ALPHABET.charAt(RANDOM.nextInt(KEY_ALPHABET.length())));
                }
                byte[] secretBytes = new byte[30];
                RANDOM.nextBytes(secretBytes);
                Credentials created = new Credentials(id.toString(), Base64.getUrlEncoder().encodeToString(secretBytes));
                Files.createDirectories(dir);
                Path tmp = dir.resolve("credentials.tmp");
                Files.writeString(tmp, "# S3 credentials of the Meridian local stack (generated once; delete to rotate)\n"
                        + "[" + PROFILE + "]\naws_access_key_id = " + created.accessKeyId()
                        + "\naws_secret_access_key = " + created.secretAccessKey() + "\n", StandardCharsets.UTF_8);
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not POSIX: nothing to restrict
                }
                Files.move(tmp, file);
                return created;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read or write " + file, e);
            }
        }
    }

    /**
     * Starts the server on {@code 127.0.0.1:port} with blobs under {@code <dir>/blobs}, and creates
     * the buckets that do not exist yet.
     *
     * @throws IllegalStateException if it does not start (port taken, for instance)
     */
    public static S3Server start(Path dir, int port, Credentials credentials, List<String> buckets) {
        Path blobs = dir.resolve("blobs");
        try {
            Files.createDirectories(blobs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + blobs, e);
        }
        FilesystemNio2BlobStore store = new FilesystemNio2BlobStore(blobs.toString());
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(endpoint)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, credentials.accessKeyId(), credentials.secretAccessKey())
                .build();
        try {
            proxy.start();
            Waits.until("s3proxy on " + endpoint + " to start", Duration.ofSeconds(30),
                    () -> "STARTED".equals(proxy.getState()) || "FAILED".equals(proxy.getState()));
            if (!"STARTED".equals(proxy.getState())) {
                throw new IllegalStateException("s3proxy on " + endpoint + " is " + proxy.getState());
            }
        } catch (Exception e) {
            stopQuietly(proxy);
            throw new IllegalStateException("cannot start the S3 server on " + endpoint + ": " + e.getMessage(), e);
        }
        awaitAnswer(endpoint, proxy);
        for (String bucket : buckets) {
            if (!store.containerExists(bucket)) {
                store.createContainer(bucket);
                LOG.info("created bucket {}", bucket);
            }
        }
        LOG.info("S3 server on {} with blobs in {}", endpoint, blobs);
        return new S3Server(proxy, store, endpoint, credentials);
    }

    /**
     * Waits until the server answers an (unsigned, so refused) request: the first request loads the
     * whole request path, which on a busy machine takes seconds, so do it before anyone relies on it.
     */
    private static void awaitAnswer(URI endpoint, S3Proxy proxy) {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            Waits.until("s3proxy on " + endpoint + " to answer HTTP", Duration.ofSeconds(60), Duration.ofMillis(100), () -> {
                try {
                    http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10)).GET().build(),
                            HttpResponse.BodyHandlers.discarding());
                    return true;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for s3proxy", e);
                }
            }, () -> "");
        } catch (RuntimeException e) {
            stopQuietly(proxy);
            throw e;
        }
    }

    /** The S3 endpoint URL. */
    public URI endpoint() {
        return endpoint;
    }

    /** The credentials it accepts. */
    public Credentials credentials() {
        return credentials;
    }

    /** Whether {@code bucket} exists in the blob store. */
    public boolean bucketExists(String bucket) {
        return store.containerExists(bucket);
    }

    /** Stops the server; the blobs stay on disk. */
    @Override
    public void close() {
        stopQuietly(proxy);
    }

    private static void stopQuietly(S3Proxy proxy) {
        try {
            proxy.stop();
        } catch (Exception e) {
            LOG.warn("s3proxy did not stop cleanly: {}", e.toString());
        }
    }
}
