package io.meridian.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

class DnsServersTests {

    @Test
    void readsAddressesWithAndWithoutPorts() {
        assertThat(TrafficProperties.dnsServer("10.0.0.2")).isEqualTo(new InetSocketAddress("10.0.0.2", 53));
        assertThat(TrafficProperties.dnsServer(" 127.0.0.1:5353 ")).isEqualTo(new InetSocketAddress("127.0.0.1", 5353));
        assertThat(TrafficProperties.dnsServer("::1")).isEqualTo(new InetSocketAddress("::1", 53));
        assertThat(TrafficProperties.dnsServer("[fd00::53]:5353")).isEqualTo(new InetSocketAddress("fd00::53", 5353));
    }

    @Test
    void refusesNamesBadPortsAndGarbageNamingTheProperty() {
        for (String bad : new String[] {"dns.example", "10.0.0.2:0", "10.0.0.2:70000", "10.0.0.2:x", "[fd00::53]x", "", "300.1.1.1"}) {
            assertThatThrownBy(() -> TrafficProperties.dnsServer(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("meridian.gateway.traffic.dns-servers");
        }
    }
}
