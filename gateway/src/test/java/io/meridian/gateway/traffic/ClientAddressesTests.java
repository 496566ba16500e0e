package io.meridian.gateway.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

class ClientAddressesTests {

    final ClientAddresses addresses = new ClientAddresses(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    ClientAddresses.Client resolve(String peer, String... forwardedFor) throws Exception {
        return addresses.resolve(new InetSocketAddress(InetAddress.getByName(peer), 40000), List.of(forwardedFor));
    }

    @Test
    void anUntrustedPeerIsTheClientWhateverItClaims() throws Exception {
        assertThat(resolve("203.0.113.9", "81.2.69.160").text()).isEqualTo("203.0.113.9");
        assertThat(resolve("203.0.113.9", "garbage").error()).isNull();
    }

    @Test
    void behindTrustedProxiesTheRightmostUntrustedEntryIsTheClient() throws Exception {
        assertThat(resolve("10.1.2.3", "81.2.69.160").text()).isEqualTo("81.2.69.160");
        assertThat(resolve("10.1.2.3", "6.6.6.6, 81.2.69.160, 10.9.9.9").text()).as("spoofed left entry ignored").isEqualTo("81.2.69.160");
        assertThat(resolve("192.168.1.7", "6.6.6.6", "81.2.69.160 , 192.168.1.7").text()).as("several header lines").isEqualTo("81.2.69.160");
        assertThat(resolve("fd00::1", "2a00:1450:4001:80b::200e").address()).hasSize(16);
        assertThat(resolve("10.1.2.3", "[2a00:1450:4001:80b::200e]:443").text()).isEqualTo("[2a00:1450:4001:80b::200e]:443");
        assertThat(resolve("10.1.2.3", "81.2.69.160:5555").address()).containsExactly(81, 2, 69, (byte) 160);
        assertThat(resolve("10.1.2.3", "::ffff:81.2.69.160").address()).as("IPv4-mapped").hasSize(4);
        assertThat(resolve("10.1.2.3", "10.0.0.1, 10.0.0.2").text()).as("all trusted: the leftmost").isEqualTo("10.0.0.1");
        assertThat(resolve("10.1.2.3", ", ,81.2.69.160,").text()).as("empty elements").isEqualTo("81.2.69.160");
    }

    @Test
    void malformedEntriesThatWouldBeBelievedAreErrors() throws Exception {
        for (String bad : List.of("unknown", "81.2.69", "81.2.69.160.1", "1.2.3.04", "[::1", "[::1]x", "1.2.3.4:99999", "fe80::1%eth0",
                "1.2.3.4:", "::g", "\u0000")) {
            assertThat(resolve("10.1.2.3", bad).error()).as(bad).isNotNull();
        }
        assertThat(resolve("10.1.2.3", "9.9.9.9, " + "10.0.0.1, ".repeat(40)).error()).contains("entries");
        assertThat(resolve("10.1.2.3", "1".repeat(3000)).error()).contains("longer");
        assertThat(resolve("10.1.2.3", "bogus, 81.2.69.160").error()).as("left of the client: never read").isNull();
    }

    ClientAddresses.Client forwarded(String peer, List<String> forwarded, List<String> forwardedFor) throws Exception {
        return addresses.resolve(new InetSocketAddress(InetAddress.getByName(peer), 40000), forwarded, forwardedFor);
    }

    @Test
    void rfc7239ForwardedIsReadLikeXForwardedForAndWinsOverIt() throws Exception {
        assertThat(forwarded("10.1.2.3", List.of("for=81.2.69.160;proto=https;by=10.1.2.3"), List.of("6.6.6.6")).text())
                .isEqualTo("81.2.69.160");
        assertThat(forwarded("10.1.2.3", List.of("for=6.6.6.6, for=81.2.69.160", "for=10.9.9.9;host=\"a.example\""), List.of()).text())
                .as("several lines, spoofed left element ignored").isEqualTo("81.2.69.160");
        assertThat(forwarded("10.1.2.3", List.of("For=\"[2a00:1450:4001:80b::200e]:4711\""), List.of()).address())
                .as("quoted IPv6 with a port, case-insensitive name").hasSize(16);
        assertThat(forwarded("10.1.2.3", List.of("proto=http;for=\"81.2.69.160:5555\""), List.of()).address())
                .containsExactly(81, 2, 69, (byte) 160);
        assertThat(forwarded("10.1.2.3", List.of("for=\"x;y,z\";by=1, for=81.2.69.160"), List.of()).text())
                .as("separators inside quotes").isEqualTo("81.2.69.160");
        assertThat(forwarded("203.0.113.9", List.of("for=81.2.69.160"), List.of()).text()).as("untrusted peer").isEqualTo("203.0.113.9");
        assertThat(forwarded("10.1.2.3", List.of(), List.of("81.2.69.160")).text()).as("no Forwarded: X-Forwarded-For")
                .isEqualTo("81.2.69.160");
    }

    @Test
    void anUnknownOrHiddenClientEndsTheWalkAtTheLastKnownAddress() throws Exception {
        assertThat(forwarded("10.1.2.3", List.of("for=unknown"), List.of()).text()).isEqualTo("10.1.2.3");
        assertThat(forwarded("10.1.2.3", List.of("for=81.2.69.160, for=_hidden, for=10.4.4.4"), List.of()).text()).isEqualTo("10.4.4.4");
        assertThat(forwarded("10.1.2.3", List.of("proto=https"), List.of()).text()).as("an element without for=").isEqualTo("10.1.2.3");
    }

    @Test
    void malformedForwardedIsAnError() throws Exception {
        for (String bad : List.of("for=\"81.2.69.160", "for", "for=", "=1.2.3.4", "for=1.2.3.4;", "for=1.2.3.4 x", "for=81.2.69",
                "for=\"[::1\"", "for=1.2.3.4;;proto=http")) {
            assertThat(forwarded("10.1.2.3", List.of(bad), List.of()).error()).as(bad).isNotNull();
        }
        assertThat(forwarded("10.1.2.3", List.of("for=10.0.0.1, ".repeat(40) + "for=9.9.9.9"), List.of()).error()).contains("entries");
        assertThat(forwarded("10.1.2.3", List.of(", ,for=81.2.69.160,"), List.of()).text()).as("empty elements").isEqualTo("81.2.69.160");
    }

    @Test
    void nodesAreWrittenAsRfc7239Wants() {
        assertThat(ClientAddresses.node("81.2.69.160")).isEqualTo("81.2.69.160");
        assertThat(ClientAddresses.node("2001:db8::1")).isEqualTo("\"[2001:db8::1]\"");
    }
}
