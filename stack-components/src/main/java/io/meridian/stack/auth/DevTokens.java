package io.meridian.stack.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import io.meridian.common.security.Roles;

/**
 * Signs development bearer tokens (RS256 JWTs) with a key pair kept in a directory, so that the
 * services, configured with the public key, accept them exactly as they would accept tokens from
 * a real identity provider. Production points the services at its issuer's keys instead.
 */
public final class DevTokens {

    /** File name of the PEM public key the services are configured with. */
    public static final String PUBLIC_KEY_FILE = "jwt-public.pem";
    private static final String PRIVATE_KEY_FILE = "jwt-private.pem";

    private final RSAPublicKey publicKey;
    private final RSAPrivateKey privateKey;
    private final Path publicKeyFile;

    private DevTokens(KeyPair pair, Path publicKeyFile) {
        this.publicKey = (RSAPublicKey) pair.getPublic();
        this.privateKey = (RSAPrivateKey) pair.getPrivate();
        this.publicKeyFile = publicKeyFile;
    }

    /** Loads the key pair from {@code dir}, or creates it there (private key readable by the owner only). */
    public static DevTokens loadOrCreate(Path dir) {
        try {
            Files.createDirectories(dir);
            Path publicFile = dir.resolve(PUBLIC_KEY_FILE);
            Path privateFile = dir.resolve(PRIVATE_KEY_FILE);
            if (Files.exists(publicFile) && Files.exists(privateFile)) {
                KeyFactory rsa = KeyFactory.getInstance("RSA");
                var pub = rsa.generatePublic(new X509EncodedKeySpec(readPem(publicFile)));
                var priv = rsa.generatePrivate(new PKCS8EncodedKeySpec(readPem(privateFile)));
                return new DevTokens(new KeyPair(pub, priv), publicFile);
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            writePem(privateFile, "PRIVATE KEY", pair.getPrivate().getEncoded());
            try {
                Files.setPosixFilePermissions(privateFile, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system; nothing more to restrict
            }
            writePem(publicFile, "PUBLIC KEY", pair.getPublic().getEncoded());
            return new DevTokens(pair, publicFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
            throw new IllegalStateException("cannot load dev token keys from " + dir, e);
        }
    }

    /** The PEM file holding the public key services verify tokens with. */
    public Path publicKeyFile() {
        return publicKeyFile;
    }

    /** The public key. */
    public RSAPublicKey publicKey() {
        return publicKey;
    }

    /** A token for {@code subject} with {@code roles}, valid for {@code ttl}, from the dev issuer. */
    public String mint(String subject, Duration ttl, String... roles) {
        Instant now = Instant.now();
        return sign(new JWTClaimsSet.Builder()
                .issuer(Roles.DEV_ISSUER)
                .audience(Roles.AUDIENCE)
                .subject(subject)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now.minusSeconds(5)))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString())
                .claim(Roles.CLAIM, List.of(roles))
                .build());
    }

    /** Signs arbitrary claims with this key; tests use it for wrong issuers, expired tokens and the like. */
    public String sign(JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("meridian-dev").build(), claims);
            jwt.sign(new RSASSASigner(privateKey));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign token", e);
        }
    }

    private static byte[] readPem(Path file) throws IOException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        String body = pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(body);
    }

    private static void writePem(Path file, String type, byte[] der) throws IOException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        Files.writeString(file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n", StandardCharsets.US_ASCII);
    }
}
