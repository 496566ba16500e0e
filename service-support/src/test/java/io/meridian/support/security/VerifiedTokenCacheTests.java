package io.meridian.support.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

class VerifiedTokenCacheTests {

    final KeyPair keys = rsa();
    final KeyPair otherKeys = rsa();
    final Instant start = Instant.now();
    final JwtTimestampValidator timestamps = new JwtTimestampValidator();
    final AtomicInteger decoded = new AtomicInteger();
    final OAuth2TokenValidator<Jwt> validator = validator();
    final VerifiedTokenCache cache = new VerifiedTokenCache(counting(), validator, 100, Duration.ofMinutes(5));

    @Test
    void aTokenIsVerifiedOnceAndItsClaimsCheckedOnEveryUse() {
        String token = sign(keys, "meridian-test", start.plusSeconds(120));
        assertThat(cache.decode(token).getSubject()).isEqualTo("ops");
        assertThat(cache.decode(token).getSubject()).isEqualTo("ops");
        assertThat(decoded).as("parsed and signature-checked once").hasValue(1);

        // The cached token expires like any other: the claims are checked at each use (60 s of clock skew allowed).
        timestamps.setClock(Clock.fixed(start.plusSeconds(120 + 61), ZoneOffset.UTC));
        assertThatThrownBy(() -> cache.decode(token)).isInstanceOf(JwtValidationException.class).hasMessageContaining("expired");
        assertThatThrownBy(() -> cache.decode(token)).isInstanceOf(JwtValidationException.class);
        assertThat(decoded).as("dropped from the cache once invalid, so decoded afresh").hasValue(2);
    }

    @Test
    void refusedTokensAreNeverRemembered() {
        String forged = sign(otherKeys, "meridian-test", start.plusSeconds(120));
        assertThatThrownBy(() -> cache.decode(forged)).isInstanceOf(JwtException.class);
        assertThatThrownBy(() -> cache.decode(forged)).isInstanceOf(JwtException.class);
        assertThat(decoded).hasValue(2);

        String wrongIssuer = sign(keys, "someone-else", start.plusSeconds(120));
        assertThatThrownBy(() -> cache.decode(wrongIssuer)).isInstanceOf(JwtValidationException.class);
        assertThatThrownBy(() -> cache.decode("not-a-token")).isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> cache.decode(null)).isInstanceOf(BadJwtException.class);
    }

    private OAuth2TokenValidator<Jwt> validator() {
        timestamps.setClock(Clock.fixed(start, ZoneOffset.UTC));
        return new DelegatingOAuth2TokenValidator<>(List.of(timestamps, new JwtIssuerValidator("meridian-test")));
    }

    private JwtDecoder counting() {
        NimbusJwtDecoder nimbus = NimbusJwtDecoder.withPublicKey((RSAPublicKey) keys.getPublic())
                .signatureAlgorithm(SignatureAlgorithm.RS256).build();
        nimbus.setJwtValidator(validator);
        return token -> {
            decoded.incrementAndGet();
            return nimbus.decode(token);
        };
    }

    private static String sign(KeyPair keys, String issuer, Instant expires) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).build(), new JWTClaimsSet.Builder()
                    .issuer(issuer).subject("ops").issueTime(new Date()).expirationTime(Date.from(expires)).build());
            jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
