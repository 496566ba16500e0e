package io.meridian.gateway.traffic;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import io.meridian.common.geo.IpLiterals;

/**
 * Finds the client address of a request: the connection's peer, unless the peer is a trusted proxy, in
 * which case the {@code for=} nodes of RFC 7239's {@code Forwarded} (when present) or else {@code X-Forwarded-For}
 * are read from the right (the entry the trusted proxy appended) to
 * the left, skipping trusted proxies, and the first untrusted address is the client. Entries left of it
 * were written by the client and are ignored, so a client cannot choose its own address.
 *
 * <p>Parsing is strict where it matters and tolerant where it is harmless: IPv4, IPv6, bracketed IPv6
 * with or without a port, IPv4 with a port, several header lines, spaces and empty list elements are
 * accepted; a malformed entry that would have to be believed, more than {@value #MAX_HOPS} entries or
 * a header longer than {@value #MAX_LENGTH} characters is an error (400), never a guess.
 */
public final class ClientAddresses {

    static final int MAX_HOPS = 32;
    static final int MAX_LENGTH = 2048;

    /** The client: its address bytes (4 or 16), text form, or why it could not be found. */
    public record Client(byte @Nullable [] address, String text, @Nullable String error) {

        static Client error(String why) {
            return new Client(null, "", why);
        }
    }

    private final int[] v4Networks;
    private final int[] v4Masks;
    private final List<byte[]> v6Networks = new ArrayList<>();
    private final List<Integer> v6Prefixes = new ArrayList<>();

    /** @param trusted addresses and CIDR blocks of trusted proxies */
    public ClientAddresses(List<String> trusted) {
        List<int[]> v4 = new ArrayList<>();
        for (String entry : trusted) {
            String text = entry.trim();
            int slash = text.indexOf('/');
            byte[] address = IpLiterals.parse(slash < 0 ? text : text.substring(0, slash));
            if (address == null) {
                throw new IllegalArgumentException("meridian.gateway.traffic.trusted-proxies: '" + entry + "' is not an address or CIDR block");
            }
            int prefix = slash < 0 ? address.length * 8 : Integer.parseInt(text.substring(slash + 1));
            if (prefix < 0 || prefix > address.length * 8) {
                throw new IllegalArgumentException("meridian.gateway.traffic.trusted-proxies: bad prefix length in '" + entry + "'");
            }
            if (address.length == 4) {
                int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
                v4.add(new int[] {IpLiterals.ipv4(address) & mask, mask});
            } else {
                v6Networks.add(address);
                v6Prefixes.add(prefix);
            }
        }
        v4Networks = v4.stream().mapToInt(a -> a[0]).toArray();
        v4Masks = v4.stream().mapToInt(a -> a[1]).toArray();
    }

    /** Whether {@code address} (4 or 16 bytes) is a trusted proxy. */
    public boolean trusted(byte[] address) {
        if (address.length == 4) {
            int value = IpLiterals.ipv4(address);
            for (int i = 0; i < v4Networks.length; i++) {
                if ((value & v4Masks[i]) == v4Networks[i]) {
                    return true;
                }
            }
            return false;
        }
        for (int i = 0; i < v6Networks.size(); i++) {
            if (matches(address, v6Networks.get(i), v6Prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(byte[] address, byte[] network, int prefix) {
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (address[full] & mask) == (network[full] & mask);
    }

    /**
     * The client of a request from {@code peer} carrying the {@code X-Forwarded-For} header lines
     * {@code forwardedFor} (null or empty when absent).
     */
    public Client resolve(@Nullable InetSocketAddress peer, @Nullable List<String> forwardedFor) {
        return resolve(peer, null, forwardedFor);
    }

    /**
     * The client of a request from {@code peer}: from its RFC 7239 {@code Forwarded} header lines when a trusted peer
     * sent any (the standard header wins: a proxy that writes it means it), else from its {@code X-Forwarded-For} lines.
     */
    public Client resolve(@Nullable InetSocketAddress peer, @Nullable List<String> forwarded, @Nullable List<String> forwardedFor) {
        if (peer == null || peer.getAddress() == null) {
            return Client.error("the connection has no peer address");
        }
        byte[] address = peer.getAddress().getAddress();
        if (address.length == 16 && isV4Mapped(address)) {
            address = new byte[] {address[12], address[13], address[14], address[15]};
        }
        boolean standard = forwarded != null && !forwarded.isEmpty();
        List<String> lines = standard ? forwarded : forwardedFor;
        if (lines == null || lines.isEmpty() || !trusted(address)) {
            return new Client(address, peer.getAddress().getHostAddress(), null);
        }
        String header = standard ? "Forwarded" : "X-Forwarded-For";
        int total = 0;
        for (String line : lines) {
            total += line.length() + 1;
        }
        if (total > MAX_LENGTH) {
            return Client.error(header + " is longer than " + MAX_LENGTH + " characters");
        }
        // Entries in order: header lines in order, each line's comma-separated elements left to right.
        List<String> entries = new ArrayList<>(4);
        for (String line : lines) {
            if (standard) {
                String error = forNodes(line, entries);
                if (error != null) {
                    return Client.error(error);
                }
            } else {
                int start = 0;
                for (int i = 0; i <= line.length(); i++) {
                    if (i == line.length() || line.charAt(i) == ',') {
                        String element = line.substring(start, i).strip();
                        if (!element.isEmpty()) {
                            entries.add(element);
                        }
                        start = i + 1;
                    }
                }
            }
            if (entries.size() > MAX_HOPS) {
                return Client.error(header + " has more than " + MAX_HOPS + " entries");
            }
        }
        String text = null;
        for (int i = entries.size() - 1; i >= 0; i--) {
            String entry = entries.get(i);
            if (standard && (entry.isEmpty() || entry.equalsIgnoreCase("unknown") || entry.charAt(0) == '_')) {
                // RFC 7239 6.2/6.3: the proxy did not know or hides who connected to it; the walk ends at the last
                // address known, which is where the request is placed
                break;
            }
            byte[] hop = parseEntry(entry);
            if (hop == null) {
                return Client.error(header + " entry '" + printable(entry) + "' is not an IP address");
            }
            address = hop;
            text = entry;
            if (!trusted(hop)) {
                break;
            }
        }
        return new Client(address, text == null ? peer.getAddress().getHostAddress() : text, null);
    }

    /**
     * Adds the {@code for=} node of each element of one {@code Forwarded} line to {@code nodes} ("" for an element
     * without one), unquoted; returns why the line is malformed, or null. Hand-written because no library the gateway
     * has parses RFC 7239: elements split on commas, pairs on semicolons, both outside quoted strings.
     */
    static @Nullable String forNodes(String line, List<String> nodes) {
        int i = 0;
        int n = line.length();
        while (i <= n) {
            String node = "";
            boolean element = false;
            while (true) { // one forwarded-pair per iteration
                while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                    i++;
                }
                int nameStart = i;
                while (i < n && isTokenChar(line.charAt(i))) {
                    i++;
                }
                String name = line.substring(nameStart, i);
                if (name.isEmpty()) {
                    if (i < n && line.charAt(i) != ',' || element) {
                        return i < n ? "Forwarded has an unexpected '" + printable(String.valueOf(line.charAt(i))) + "'"
                                : "Forwarded ends after ';'";
                    }
                    break; // an empty element (", ,") is allowed
                }
                element = true;
                if (i >= n || line.charAt(i) != '=') {
                    return "Forwarded parameter '" + printable(name) + "' has no value";
                }
                i++;
                StringBuilder value = new StringBuilder();
                if (i < n && line.charAt(i) == '"') {
                    i++;
                    boolean closed = false;
                    while (i < n) {
                        char c = line.charAt(i++);
                        if (c == '\\' && i < n) {
                            value.append(line.charAt(i++));
                        } else if (c == '"') {
                            closed = true;
                            break;
                        } else {
                            value.append(c);
                        }
                    }
                    if (!closed) {
                        return "Forwarded has an unterminated quoted value";
                    }
                } else {
                    int start = i;
                    while (i < n && isTokenChar(line.charAt(i))) {
                        i++;
                    }
                    value.append(line, start, i);
                    if (value.isEmpty()) {
                        return "Forwarded parameter '" + printable(name) + "' has an empty value";
                    }
                }
                if (name.equalsIgnoreCase("for")) {
                    node = value.toString();
                }
                while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                    i++;
                }
                if (i < n && line.charAt(i) == ';') {
                    i++;
                    continue;
                }
                break;
            }
            if (element) {
                nodes.add(node);
            }
            if (nodes.size() > MAX_HOPS) {
                return null; // the caller reports it
            }
            if (i >= n) {
                return null;
            }
            if (line.charAt(i) != ',') {
                return "Forwarded has an unexpected '" + printable(String.valueOf(line.charAt(i))) + "'";
            }
            i++;
        }
        return null;
    }

    /** RFC 7230 tchar, plus ':' '[' ']' which unquoted IPv4 nodes with ports and lenient senders use. */
    private static boolean isTokenChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~:[]".indexOf(c) >= 0;
    }

    /** {@code address} as an RFC 7239 node: IPv4 as is, IPv6 quoted in brackets. */
    public static String node(String address) {
        return address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
    }

    /** An entry: {@code 1.2.3.4}, {@code 1.2.3.4:5678}, {@code 2001:db8::1}, {@code [2001:db8::1]} or {@code [2001:db8::1]:443}. */
    static byte @Nullable [] parseEntry(String entry) {
        if (entry.length() > 64) {
            return null;
        }
        if (entry.charAt(0) == '[') {
            int close = entry.indexOf(']');
            if (close < 0 || close < entry.length() - 1 && !validPort(entry, close + 1)) {
                return null;
            }
            return IpLiterals.parse(entry.substring(1, close));
        }
        int colon = entry.indexOf(':');
        if (colon > 0 && colon == entry.lastIndexOf(':')) {
            // IPv4 with a port
            return validPort(entry, colon) ? IpLiterals.parse(entry.substring(0, colon)) : null;
        }
        return IpLiterals.parse(entry);
    }

    private static boolean validPort(String entry, int colon) {
        if (colon >= entry.length() - 1 || entry.charAt(colon) != ':' || entry.length() - colon - 1 > 5) {
            return false;
        }
        for (int i = colon + 1; i < entry.length(); i++) {
            if (entry.charAt(i) < '0' || entry.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(entry.substring(colon + 1)) <= 65535;
    }

    private static boolean isV4Mapped(byte[] v6) {
        for (int i = 0; i < 10; i++) {
            if (v6[i] != 0) {
                return false;
            }
        }
        return v6[10] == (byte) 0xff && v6[11] == (byte) 0xff;
    }

    static String printable(String text) {
        String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7E]", "?");
    }
}
