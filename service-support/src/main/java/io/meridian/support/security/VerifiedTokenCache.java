package io.meridian.support.security;

import java.time.Duration;

import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidationException;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * A {@link JwtDecoder} that parses and checks the signature of a token once and remembers the result for a short
 * while, keyed by the exact token text. Ops tools send the same bearer token with every request, and parsing it and
 * verifying its RSA signature was a fifth of what a registry read allocated (docs/benchmarks.md). The claims are
 * still validated on every use (expiry, not-before, issuer, audience), so a token that expires while cached is
 * refused exactly as before; only the work that gives the same answer for the same text and key is saved. A token
 * that fails is never cached. Bounded in size and age, so a flood of distinct tokens cannot grow it.
 */
public final class VerifiedTokenCache implements JwtDecoder {

    private final JwtDecoder decoder;
    private final OAuth2TokenValidator<Jwt> validator;
    private final Cache<String, Jwt> verified;

    /**
     * @param decoder   parses, verifies the signature and validates
     * @param validator the same claim validation the decoder applies, run again on every cached use
     * @param size      at most this many tokens remembered
     * @param ttl       each for at most this long
     */
    public VerifiedTokenCache(JwtDecoder decoder, OAuth2TokenValidator<Jwt> validator, int size, Duration ttl) {
        this.decoder = decoder;
        this.validator = validator;
        this.verified = Caffeine.newBuilder().maximumSize(size).expireAfterWrite(ttl).build();
    }

    @Override
    public Jwt decode(String token) throws JwtException {
        if (token == null) {
            throw new BadJwtException("no token");
        }
        Jwt cached = verified.getIfPresent(token);
        if (cached == null) {
            Jwt jwt = decoder.decode(token);
            verified.put(token, jwt);
            return jwt;
        }
        OAuth2TokenValidatorResult result = validator.validate(cached);
        if (result.hasErrors()) {
            verified.invalidate(token);
            throw new JwtValidationException("the token is not valid any more: " + result.getErrors().iterator().next().getDescription(),
                    result.getErrors());
        }
        return cached;
    }
}
