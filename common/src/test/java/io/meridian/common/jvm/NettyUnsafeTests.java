package io.meridian.common.jvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;

import org.junit.jupiter.api.Test;

class NettyUnsafeTests {

    @Test
    void nettyKeepsUnsafeOnJava21To25UnlessTheOperatorSaidOtherwise() {
        for (int feature : new int[] {21, 24, 25}) {
            Properties system = new Properties();
            assertThat(NettyUnsafe.keep(system, feature)).isTrue();
            assertThat(system.getProperty(NettyUnsafe.PROPERTY)).isEqualTo("false");
        }
        Properties operator = new Properties();
        operator.setProperty(NettyUnsafe.PROPERTY, "true");
        assertThat(NettyUnsafe.keep(operator, 25)).isFalse();
        assertThat(operator.getProperty(NettyUnsafe.PROPERTY)).isEqualTo("true");

        Properties denied = new Properties();
        denied.setProperty("sun.misc.unsafe.memory.access", "deny");
        assertThat(NettyUnsafe.keep(denied, 25)).isFalse();
        assertThat(denied.getProperty(NettyUnsafe.PROPERTY)).isNull();

        Properties later = new Properties();
        assertThat(NettyUnsafe.keep(later, 26)).isFalse();
        assertThat(later.getProperty(NettyUnsafe.PROPERTY)).isNull();
    }
}
