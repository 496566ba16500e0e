package io.meridian.common.geo;

import org.jspecify.annotations.Nullable;

/**
 * Parses IP address literals without ever resolving a name ({@code InetAddress.getByName} would look
 * a host name up in DNS). IPv4 in dotted-quad form; IPv6 in RFC 4291 text form, with {@code ::}
 * compression and an embedded dotted quad, without zone ids. IPv4-mapped IPv6 addresses come back
 * as the 4 bytes of their IPv4 address.
 */
public final class IpLiterals {

    private IpLiterals() {
    }

    /** The address bytes (4 or 16) of {@code text}, or null if it is not an IP literal. */
    public static byte @Nullable [] parse(@Nullable String text) {
        if (text == null || text.isEmpty() || text.length() > 45) {
            return null;
        }
        if (text.indexOf(':') < 0) {
            return parseIpv4(text, 0, text.length());
        }
        String body = text;
        if (body.length() > 2 && body.charAt(0) == '[' && body.charAt(body.length() - 1) == ']') {
            body = body.substring(1, body.length() - 1);
        }
        byte[] v6 = parseIpv6(body);
        if (v6 != null && isIpv4Mapped(v6)) {
            return new byte[] {v6[12], v6[13], v6[14], v6[15]};
        }
        return v6;
    }

    /** The IPv4 address in {@code bytes} as an int. */
    public static int ipv4(byte[] bytes) {
        return (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | bytes[3] & 0xff;
    }

    /**
     * The IPv4 address of a dotted quad {@code text} in the low 32 bits, or -1 if {@code text} is not one (an IPv6
     * literal, IPv4-mapped or not, is not: {@link #parse} handles those). Allocates nothing, for the per-request path.
     */
    public static long ipv4Bits(@Nullable String text) {
        return text == null ? -1 : ipv4Bits(text, 0, text.length());
    }

    private static long ipv4Bits(String text, int from, int to) {
        if (to - from > 15) {
            return -1;
        }
        long address = 0;
        int parts = 0;
        int value = 0;
        int digits = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digits > 0 && value == 0) {
                    return -1; // leading zero: ambiguous (octal in some parsers)
                }
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) {
                    return -1;
                }
            } else if (c == '.') {
                if (digits == 0 || parts == 3) {
                    return -1;
                }
                address = address << 8 | value;
                parts++;
                value = 0;
                digits = 0;
            } else {
                return -1;
            }
        }
        if (digits == 0 || parts != 3) {
            return -1;
        }
        return address << 8 | value;
    }

    private static byte @Nullable [] parseIpv4(String text, int from, int to) {
        long address = ipv4Bits(text, from, to);
        if (address < 0) {
            return null;
        }
        return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }

    private static byte @Nullable [] parseIpv6(String text) {
        int length = text.length();
        if (length < 2) {
            return null;
        }
        byte[] out = new byte[16];
        int groups = 0;
        int compressAt = -1;
        int i = 0;
        if (text.startsWith("::")) {
            compressAt = 0;
            i = 2;
            if (length == 2) {
                return out;
            }
        } else if (text.charAt(0) == ':') {
            return null;
        }
        while (i < length) {
            if (groups == 8) {
                return null;
            }
            int start = i;
            int value = 0;
            while (i < length && hex(text.charAt(i)) >= 0) {
                value = (value << 4) | hex(text.charAt(i));
                i++;
                if (i - start > 4) {
                    return null;
                }
            }
            if (i < length && text.charAt(i) == '.') {
                if (groups > 6) {
                    return null;
                }
                byte[] v4 = parseIpv4(text, start, length);
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, groups * 2, 4);
                groups += 2;
                i = length;
                break;
            }
            if (i == start) {
                return null;
            }
            out[groups * 2] = (byte) (value >>> 8);
            out[groups * 2 + 1] = (byte) value;
            groups++;
            if (i == length) {
                break;
            }
            if (text.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < length && text.charAt(i) == ':') {
                if (compressAt >= 0) {
                    return null;
                }
                compressAt = groups;
                i++;
                if (i == length) {
                    break;
                }
            } else if (i == length) {
                return null;
            }
        }
        if (compressAt < 0) {
            return groups == 8 ? out : null;
        }
        if (groups == 8) {
            return null;
        }
        int tail = (groups - compressAt) * 2;
        System.arraycopy(out, compressAt * 2, out, 16 - tail, tail);
        java.util.Arrays.fill(out, compressAt * 2, 16 - tail, (byte) 0);
        return out;
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static boolean isIpv4Mapped(byte[] v6) {
        for (int i = 0; i < 10; i++) {
            if (v6[i] != 0) {
                return false;
            }
        }
        return v6[10] == (byte) 0xff && v6[11] == (byte) 0xff;
    }

    /** {@link #isNonPublic} for the IPv4 address in the low 32 bits of {@code address}. */
    public static boolean isNonPublicIpv4(int address) {
        int a = address >>> 24;
        int b = address >>> 16 & 0xff;
        int c = address >>> 8 & 0xff;
        return a == 0 || a == 10 || a == 127 || a >= 224
                || a == 100 && b >= 64 && b <= 127
                || a == 169 && b == 254
                || a == 172 && b >= 16 && b <= 31
                || a == 192 && b == 168
                || a == 192 && b == 0 && (c == 0 || c == 2)
                || a == 198 && (b == 18 || b == 19)
                || a == 198 && b == 51 && c == 100
                || a == 203 && b == 0 && c == 113;
    }

    /**
     * Whether {@code address} (4 or 16 bytes) is not a public unicast address: unspecified, loopback,
     * private (RFC 1918, unique local), shared (RFC 6598), link-local, multicast, documentation,
     * benchmarking, or reserved ranges.
     */
    public static boolean isNonPublic(byte[] address) {
        if (address.length == 4) {
            return isNonPublicIpv4(ipv4(address));
        }
        int first = address[0] & 0xff;
        boolean zeroPrefix = true;
        for (int i = 0; i < 15; i++) {
            if (address[i] != 0) {
                zeroPrefix = false;
                break;
            }
        }
        if (zeroPrefix) {
            return true; // :: and ::1
        }
        return (first & 0xfe) == 0xfc // fc00::/7 unique local
                || first == 0xfe && (address[1] & 0xc0) == 0x80 // fe80::/10 link-local
                || first == 0xff // multicast
                || first == 0x20 && address[1] == 0x01 && address[2] == 0x0d && (address[3] & 0xff) == 0xb8 // 2001:db8::/32
                || first == 0x01 && address[1] == 0 && address[2] == 0 && address[3] == 0 // 100::/64 discard (approx. /32)
                || (first & 0xe0) != 0x20; // outside 2000::/3, the global unicast space
    }
}
