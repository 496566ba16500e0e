package io.meridian.common.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RolesTests {

    @Test
    void higherRolesImplyLowerOnes() {
        assertThat(Roles.implied(Roles.ADMIN)).containsExactly("admin", "operator", "viewer");
        assertThat(Roles.implied(Roles.OPERATOR)).containsExactly("operator", "viewer");
        assertThat(Roles.implied(Roles.VIEWER)).containsExactly("viewer");
        assertThat(Roles.implied("root")).isEmpty();
        assertThat(Roles.hierarchy()).contains("ROLE_admin > ROLE_operator", "ROLE_operator > ROLE_viewer");
    }
}
