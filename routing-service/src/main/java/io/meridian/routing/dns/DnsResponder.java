package io.meridian.routing.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import io.meridian.common.region.RegionId;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingDecision;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.geo.GeoIpLocator;
import io.meridian.common.geo.IpLiterals;

/**
 * Answers one DNS query for the zone, authoritatively, from wire bytes to wire bytes; no I/O, so the
 * UDP and TCP servers share it and tests can feed it any bytes.
 *
 * <ul>
 *   <li>{@code <service>.<zone>} A or AAAA: the routing decision for the client (the EDNS client subnet
 *       when the query carries one, else the resolver's address) picks a region; the answer is that
 *       region's addresses of the asked family (the first region of target and fallbacks that has
 *       one), TTL as configured. A refusal (residency, no healthy region) is SERVFAIL with an extended
 *       DNS error saying why; no address of the family is NOERROR with no answer (NODATA).</li>
 *   <li>The apex answers SOA and NS; other types and names that exist answer NODATA; names under the
 *       zone that are not routed services answer NXDOMAIN; both carry the SOA for negative caching.</li>
 *   <li>Names outside the zone, or classes other than IN: REFUSED. Opcodes other than QUERY: NOTIMP.
 *       A malformed packet (unparseable, bad EDNS client subnet, not exactly one question): FORMERR
 *       (when even the 12-byte header is missing, nothing is sent). Responses (QR set) are dropped.</li>
 *   <li>EDNS(0): the reply carries OPT with a 1232-byte payload size and echoes the client subnet with
 *       a scope equal to its source prefix; UDP replies larger than the client allows are truncated (TC).</li>
 * </ul>
 */
public final class DnsResponder {

    /** The largest UDP payload this server offers and uses (the DNS flag day 2020 value). */
    static final int EDNS_PAYLOAD = 1232;

    private final Name zone;
    private final long ttl;
    private final Function<String, Optional<RoutingDecider>> deciders;
    private final java.util.function.BooleanSupplier ready;
    private final GeoIpLocator geoIp;
    private final SOARecord soa;
    private final NSRecord ns;
    private final @Nullable Record nsAddress;

    /**
     * @param zone       the zone, absolute ({@code svc.meridian.local.})
     * @param ttlSeconds TTL of answers and of negative answers
     * @param deciders   the current decider of a service, if it is routed
     * @param ready      whether routing has read its inputs (until then service names answer SERVFAIL)
     * @param geoIp      locates clients
     * @param nsAddress  the address this server answers on, for the zone's NS glue (null: none)
     */
    public DnsResponder(String zone, long ttlSeconds, Function<String, Optional<RoutingDecider>> deciders,
            java.util.function.BooleanSupplier ready, GeoIpLocator geoIp, @Nullable InetAddress nsAddress) {
        try {
            this.zone = Name.fromString(zone.endsWith(".") ? zone : zone + ".");
            Name host = Name.fromString("ns1", this.zone);
            this.soa = new SOARecord(this.zone, DClass.IN, ttlSeconds, host, Name.fromString("hostmaster", this.zone), 1, 3600, 600,
                    86400, ttlSeconds);
            this.ns = new NSRecord(this.zone, DClass.IN, ttlSeconds, host);
            this.nsAddress = nsAddress == null || nsAddress.isAnyLocalAddress() ? null
                    : nsAddress.getAddress().length == 4 ? new ARecord(host, DClass.IN, ttlSeconds, nsAddress)
                    : new AAAARecord(host, DClass.IN, ttlSeconds, nsAddress);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("not a DNS zone name: " + zone, e);
        }
        this.ttl = ttlSeconds;
        this.deciders = deciders;
        this.ready = ready;
        this.geoIp = geoIp;
    }

    /** The zone answered. */
    public Name zone() {
        return zone;
    }

    /**
     * The reply to {@code query}, or null when nothing must be sent.
     *
     * @param query   the query's wire bytes
     * @param length  how many of them are the query
     * @param client  the address the query came from (the resolver)
     * @param tcp     whether it came over TCP (no truncation)
     */
    public byte @Nullable [] respond(byte[] query, int length, InetAddress client, boolean tcp) {
        if (length < Header.LENGTH) {
            return null;
        }
        Message request;
        try {
            request = new Message(length == query.length ? query : java.util.Arrays.copyOf(query, length));
        } catch (IOException | RuntimeException e) {
            return formerr(query);
        }
        Header header = request.getHeader();
        if (header.getFlag(Flags.QR)) {
            return null;
        }
        OPTRecord opt = request.getOPT();
        int limit = tcp ? 65535 : opt == null ? 512 : Math.min(EDNS_PAYLOAD, Math.max(512, opt.getPayloadSize()));
        Message reply = new Message(header.getID());
        Header out = reply.getHeader();
        out.setFlag(Flags.QR);
        out.setOpcode(header.getOpcode());
        if (header.getFlag(Flags.RD)) {
            out.setFlag(Flags.RD);
        }
        List<Record> questions = request.getSection(Section.QUESTION);
        if (header.getOpcode() != Opcode.QUERY) {
            out.setRcode(Rcode.NOTIMP);
            return wire(reply, opt, null, null, limit);
        }
        if (questions.size() != 1) {
            out.setRcode(Rcode.FORMERR);
            return wire(reply, opt, null, null, limit);
        }
        Record question = questions.getFirst();
        reply.addRecord(question, Section.QUESTION);
        if (opt != null && opt.getVersion() != 0) {
            out.setRcode(Rcode.NOERROR);
            return wire(reply, new OPTRecord(EDNS_PAYLOAD, Rcode.BADVERS >>> 4, 0, 0), null, null, limit, true);
        }
        ClientSubnetOption subnet = subnet(opt);
        Name name = question.getName();
        if (question.getDClass() != DClass.IN || !name.subdomain(zone)) {
            out.setRcode(Rcode.REFUSED);
            return wire(reply, opt, subnet, null, limit);
        }
        out.setFlag(Flags.AA);
        int type = question.getType();
        if (name.equals(zone)) {
            if (type == Type.SOA || type == Type.ANY) {
                reply.addRecord(soa, Section.ANSWER);
            }
            if (type == Type.NS || type == Type.ANY) {
                reply.addRecord(ns, Section.ANSWER);
                if (nsAddress != null) {
                    reply.addRecord(nsAddress, Section.ADDITIONAL);
                }
            }
            if (reply.getSection(Section.ANSWER).isEmpty()) {
                reply.addRecord(soa, Section.AUTHORITY);
            }
            return wire(reply, opt, subnet, null, limit);
        }
        if (name.labels() != zone.labels() + 1) {
            return nxdomain(reply, opt, subnet, limit);
        }
        String service = name.getLabelString(0).toLowerCase(Locale.ROOT);
        if (nsAddress != null && service.equals("ns1")) {
            if (type == nsAddress.getType()) {
                reply.addRecord(nsAddress, Section.ANSWER);
            } else {
                reply.addRecord(soa, Section.AUTHORITY);
            }
            return wire(reply, opt, subnet, null, limit);
        }
        if (!ready.getAsBoolean()) {
            out.setRcode(Rcode.SERVFAIL);
            return wire(reply, opt, subnet, new ExtendedErrorCodeOption(ExtendedErrorCodeOption.NOT_READY, "routing inputs not read yet"),
                    limit);
        }
        Optional<RoutingDecider> decider = deciders.apply(service);
        if (decider.isEmpty()) {
            return nxdomain(reply, opt, subnet, limit);
        }
        if (type != Type.A && type != Type.AAAA) {
            reply.addRecord(soa, Section.AUTHORITY);
            return wire(reply, opt, subnet, null, limit);
        }
        // InetAddress already turns IPv4-mapped IPv6 addresses into IPv4 ones
        byte[] address = subnet != null && subnet.getSourcePrefixLength() > 0 ? subnet.getAddress().getAddress() : client.getAddress();
        GeoIpLocator.Located located = geoIp.locate(address, "", RoutingDecider.clientKey(address));
        RoutingDecision decision = decider.get().decide(located.location(), located.placeId(), located.clientKey(), false);
        if (!decision.routed()) {
            out.setRcode(Rcode.SERVFAIL);
            EDNSOption why = new ExtendedErrorCodeOption(ExtendedErrorCodeOption.PROHIBITED,
                    decision.decidedBy() == RoutingDecision.DecidedBy.RESIDENCY_REFUSAL
                            ? "residency: no healthy region in the client's allowed zone" : "no healthy region");
            return wire(reply, opt, subnet, why, limit);
        }
        if (!answer(reply, name, type, decider.get().table(), decision)) {
            reply.addRecord(soa, Section.AUTHORITY);
        }
        return wire(reply, opt, subnet, null, limit);
    }

    private boolean answer(Message reply, Name name, int type, RoutingTable table, RoutingDecision decision) {
        int family = type == Type.A ? 4 : 16;
        RegionId target = decision.target();
        if (answerFrom(reply, name, family, table, target)) {
            return true;
        }
        for (RegionId fallback : decision.fallbacks()) {
            if (answerFrom(reply, name, family, table, fallback)) {
                return true;
            }
        }
        return false;
    }

    private boolean answerFrom(Message reply, Name name, int family, RoutingTable table, @Nullable RegionId region) {
        if (region == null) {
            return false;
        }
        Prepared addresses = addresses(table);
        InetAddress[] found = (family == 4 ? addresses.v4() : addresses.v6()).getOrDefault(region, NONE);
        for (InetAddress address : found) {
            reply.addRecord(family == 4 ? new ARecord(name, DClass.IN, ttl, address) : new AAAARecord(name, DClass.IN, ttl, address),
                    Section.ANSWER);
        }
        return found.length > 0;
    }

    private static final InetAddress[] NONE = {};

    private record Prepared(RoutingTable table, java.util.Map<RegionId, InetAddress[]> v4, java.util.Map<RegionId, InetAddress[]> v6) {
    }

    private final java.util.concurrent.ConcurrentHashMap<String, Prepared> prepared = new java.util.concurrent.ConcurrentHashMap<>();

    /** The addresses of each region of {@code table} by family, parsed once per table. */
    private Prepared addresses(RoutingTable table) {
        Prepared current = prepared.get(table.service());
        if (current != null && current.table() == table) {
            return current;
        }
        java.util.Map<RegionId, InetAddress[]> byRegion4 = new java.util.HashMap<>();
        java.util.Map<RegionId, InetAddress[]> byRegion6 = new java.util.HashMap<>();
        for (RoutingTable.RegionEntry entry : table.regions()) {
            List<InetAddress> v4 = new java.util.ArrayList<>();
            List<InetAddress> v6 = new java.util.ArrayList<>();
            for (String literal : entry.addresses()) {
                byte[] bytes = IpLiterals.parse(literal);
                if (bytes == null) {
                    continue;
                }
                try {
                    (bytes.length == 4 ? v4 : v6).add(InetAddress.getByAddress(bytes));
                } catch (UnknownHostException e) {
                    // cannot happen for 4 or 16 bytes
                }
            }
            byRegion4.put(entry.id(), v4.toArray(InetAddress[]::new));
            byRegion6.put(entry.id(), v6.toArray(InetAddress[]::new));
        }
        Prepared next = new Prepared(table, byRegion4, byRegion6);
        prepared.put(table.service(), next);
        return next;
    }

    private byte[] nxdomain(Message reply, @Nullable OPTRecord opt, @Nullable ClientSubnetOption subnet, int limit) {
        reply.getHeader().setRcode(Rcode.NXDOMAIN);
        reply.addRecord(soa, Section.AUTHORITY);
        return wire(reply, opt, subnet, null, limit);
    }

    private static @Nullable ClientSubnetOption subnet(@Nullable OPTRecord opt) {
        if (opt == null) {
            return null;
        }
        for (EDNSOption option : opt.getOptions(EDNSOption.Code.CLIENT_SUBNET)) {
            if (option instanceof ClientSubnetOption subnet) {
                return subnet;
            }
        }
        return null;
    }

    private static byte[] wire(Message reply, @Nullable OPTRecord requestOpt, @Nullable ClientSubnetOption subnet, @Nullable EDNSOption extra,
            int limit) {
        return wire(reply, requestOpt, subnet, extra, limit, false);
    }

    private static byte[] wire(Message reply, @Nullable OPTRecord opt, @Nullable ClientSubnetOption subnet, @Nullable EDNSOption extra,
            int limit, boolean optIsReply) {
        if (opt != null) {
            if (optIsReply) {
                reply.addRecord(opt, Section.ADDITIONAL);
            } else {
                List<EDNSOption> options = new java.util.ArrayList<>(2);
                if (subnet != null) {
                    options.add(new ClientSubnetOption(subnet.getSourcePrefixLength(), subnet.getSourcePrefixLength(), subnet.getAddress()));
                }
                if (extra != null) {
                    options.add(extra);
                }
                reply.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0, 0, options), Section.ADDITIONAL);
            }
        }
        return reply.toWire(limit);
    }

    /** A header-only FORMERR reply to a packet that could not be parsed (id, opcode and RD copied). */
    static byte[] formerr(byte[] query) {
        byte[] reply = new byte[Header.LENGTH];
        reply[0] = query[0];
        reply[1] = query[1];
        reply[2] = (byte) (0x80 | (query[2] & 0x79)); // QR, opcode, RD
        reply[3] = (byte) Rcode.FORMERR;
        return reply;
    }
}
