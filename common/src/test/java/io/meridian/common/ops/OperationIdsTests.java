package io.meridian.common.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OperationIdsTests {

    @Test
    void plainTokensAreKeptAndAnythingElseIsReplaced() {
        assertThat(OperationIds.orNew("gw-7f3a.12")).isEqualTo("gw-7f3a.12");
        assertThat(OperationIds.orNew("a".repeat(64))).hasSize(64);
        assertThat(OperationIds.orNew(null)).matches("[0-9a-f]{16}");
        assertThat(OperationIds.orNew("")).matches("[0-9a-f]{16}");
        assertThat(OperationIds.orNew("a b")).matches("[0-9a-f]{16}");
        assertThat(OperationIds.orNew("x".repeat(65))).matches("[0-9a-f]{16}");
        assertThat(OperationIds.orNew("id\r\nX-Injected: 1")).matches("[0-9a-f]{16}");
    }

    @Test
    void newIdsDiffer() {
        assertThat(OperationIds.newId()).isNotEqualTo(OperationIds.newId());
    }
}
