package io.meridian.common.security;

import java.util.List;

/**
 * Role names carried in the {@value #CLAIM} claim of Meridian bearer tokens. Roles are ordered:
 * {@code admin} implies {@code operator}, which implies {@code viewer}. Reads need {@code viewer},
 * control actions {@code operator}, destructive or security-relevant ones {@code admin}.
 */
public final class Roles {

    /** May read state: regions, routing, history. */
    public static final String VIEWER = "viewer";
    /** May act: register, deploy, drain, switch over, back up. */
    public static final String OPERATOR = "operator";
    /** May do anything, including destructive restores and changing who may act. */
    public static final String ADMIN = "admin";

    /** The JWT claim that lists the caller's roles. */
    public static final String CLAIM = "roles";

    /** The token issuer the local stack and tests use; production configures its own. */
    public static final String DEV_ISSUER = "https://meridian.local/dev";

    /** Audience every Meridian service expects in the {@code aud} claim. */
    public static final String AUDIENCE = "meridian";

    /** Most to least privileged. */
    public static final List<String> ALL = List.of(ADMIN, OPERATOR, VIEWER);

    private Roles() {
    }

    /** The roles {@code role} implies, itself included; empty for an unknown name. */
    public static List<String> implied(String role) {
        int index = ALL.indexOf(role);
        return index < 0 ? List.of() : ALL.subList(index, ALL.size());
    }

    /**
     * Spring Security role hierarchy expression for these roles, in the {@code ROLE_} authority
     * namespace Spring uses for {@code hasRole}.
     */
    public static String hierarchy() {
        return "ROLE_" + ADMIN + " > ROLE_" + OPERATOR + "\nROLE_" + OPERATOR + " > ROLE_" + VIEWER;
    }
}
