package io.meridian.failover.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTests {

    @Test
    void parsesPrintsAndSubtractsLikePostgres() {
        Lsn a = Lsn.parse("16/B374D848");
        assertThat(a.value()).isEqualTo(0x16L << 32 | 0xB374D848L);
        assertThat(a).hasToString("16/B374D848");
        assertThat(Lsn.parse("0/3000060").minus(Lsn.parse("0/3000000"))).isEqualTo(0x60);
        assertThat(Lsn.parse("1/0").minus(Lsn.parse("0/FFFFFFFF"))).isEqualTo(1);
        assertThat(Lsn.max(Lsn.parse("0/10"), Lsn.parse("0/20"))).isEqualTo(Lsn.parse("0/20"));
        assertThat(Lsn.parseNullable(null)).isNull();
    }

    @Test
    void rejectsWhatIsNotAnLsn() {
        assertThatThrownBy(() -> Lsn.parse("16")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.parse("/1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.parse("0/1FFFFFFFF")).isInstanceOf(IllegalArgumentException.class);
    }
}
