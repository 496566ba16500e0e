package io.meridian.testsupport;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import com.nimbusds.jwt.JWTClaimsSet;

import io.meridian.common.security.Roles;
import io.meridian.stack.auth.DevTokens;

/** Bearer tokens for each role, and broken ones, signed with the shared test key. */
public final class TestTokens {

    private TestTokens() {
    }

    public static String viewer() {
        return forRole(Roles.VIEWER);
    }

    public static String operator() {
        return forRole(Roles.OPERATOR);
    }

    public static String admin() {
        return forRole(Roles.ADMIN);
    }

    /** A valid token whose only role is {@code role} (which may be unknown, to test that). */
    public static String forRole(String role) {
        return TestInfrastructure.get().tokens().mint("test-" + role, Duration.ofMinutes(30), role);
    }

    /** A valid token with no roles at all. */
    public static String noRoles() {
        return TestInfrastructure.get().tokens().mint("test-nobody", Duration.ofMinutes(30));
    }

    /** Tokens that must all be refused with 401, by what is wrong with them. */
    public static List<String> invalid() {
        DevTokens tokens = TestInfrastructure.get().tokens();
        Instant now = Instant.now();
        JWTClaimsSet.Builder base = new JWTClaimsSet.Builder().subject("intruder").issuer(Roles.DEV_ISSUER)
                .audience(Roles.AUDIENCE).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600)))
                .claim(Roles.CLAIM, List.of(Roles.ADMIN));
        String expired = tokens.sign(base.expirationTime(Date.from(now.minusSeconds(3600))).issueTime(Date.from(now.minusSeconds(7200)))
                .build());
        String wrongIssuer = tokens.sign(new JWTClaimsSet.Builder(base.build()).issuer("https://evil.example")
                .expirationTime(Date.from(now.plusSeconds(600))).build());
        String wrongAudience = tokens.sign(new JWTClaimsSet.Builder(base.build()).audience("someone-else")
                .expirationTime(Date.from(now.plusSeconds(600))).build());
        String valid = admin();
        String tampered = valid.substring(0, valid.lastIndexOf('.') + 1)
                + (valid.charAt(valid.lastIndexOf('.') + 1) == 'A' ? 'B' : 'A') + valid.substring(valid.lastIndexOf('.') + 2);
        DevTokens stranger = DevTokens.loadOrCreate(TestInfrastructure.get().newDirectory("stranger-keys"));
        String foreignKey = stranger.mint("intruder", Duration.ofMinutes(5), Roles.ADMIN);
        return List.of(expired, wrongIssuer, wrongAudience, tampered, foreignKey, "not-a-jwt");
    }
}
