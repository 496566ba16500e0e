package io.meridian.routing.geo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.meridian.common.geo.IpLiterals;

class IpLiteralsTests {

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "255.255.255.255", "0.0.0.0", "::", "::1", "2001:db8::1", "2001:DB8:0:0:8:800:200C:417A", "fe80::1",
            "1:2:3:4:5:6:7:8", "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "::ffff:192.0.2.1", "64:ff9b::192.0.2.33",
            "[2001:4860:4860::8888]"})
    void parsesWhatTheJdkParses(String literal) throws Exception {
        byte[] expected = InetAddress.getByName(literal.replace("[", "").replace("]", "")).getAddress();
        assertThat(IpLiterals.parse(literal)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "localhost", "example.com", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1..2.3", "1.2.3.4 ",
            " 1.2.3.4", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1:2:3:4:5:6:7", ":1::", "1::2:", "fe80::1%eth0",
            "::ffff:1.2.3", "1.2.3.4::", "١.٢.٣.٤", "<script>", "1:2:3:4:5:6:7:1.2.3.4"})
    void rejectsEverythingElseWithoutALookup(String text) {
        assertThat(IpLiterals.parse(text)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "100.64.0.1", "169.254.1.1", "0.1.2.3", "224.0.0.1",
            "240.0.0.1", "192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1", "::1", "::", "fd00::1", "fe80::1", "ff02::1",
            "2001:db8::1", "::ffff:10.0.0.1"})
    void privateAndReservedAddressesAreNotPublic(String literal) {
        assertThat(IpLiterals.isNonPublic(IpLiterals.parse(literal))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "81.2.69.160", "100.128.0.1", "172.32.0.1", "2001:4860:4860::8888", "2a00:1450:4001:80b::200e"})
    void publicAddressesArePublic(String literal) {
        assertThat(IpLiterals.isNonPublic(IpLiterals.parse(literal))).isFalse();
    }

    @Test
    void theAllocationFreeIpv4ParseAndPrivacyCheckAgreeWithTheByteForms() {
        SplittableRandom random = new SplittableRandom(4);
        String alphabet = "0123456789.:a ";
        for (int i = 0; i < 200_000; i++) {
            String text;
            if (i % 2 == 0) {
                int address = random.nextInt();
                text = (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
                assertThat(IpLiterals.ipv4Bits(text)).isEqualTo(address & 0xffffffffL);
                assertThat(IpLiterals.isNonPublicIpv4(address)).as(text).isEqualTo(IpLiterals.isNonPublic(IpLiterals.parse(text)));
            } else {
                StringBuilder junk = new StringBuilder();
                for (int c = random.nextInt(1, 17); c > 0; c--) {
                    junk.append(alphabet.charAt(random.nextInt(alphabet.length())));
                }
                text = junk.toString();
            }
            byte[] parsed = IpLiterals.parse(text);
            long bits = IpLiterals.ipv4Bits(text);
            if (parsed != null && text.indexOf(':') < 0) {
                assertThat(bits).as(text).isEqualTo(IpLiterals.ipv4(parsed) & 0xffffffffL);
            } else {
                assertThat(bits).as(text).isEqualTo(-1);
            }
        }
    }
}
