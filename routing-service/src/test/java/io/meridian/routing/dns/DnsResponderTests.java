package io.meridian.routing.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ClientSubnetOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;
import io.meridian.testsupport.GeoIpDatabase;
import io.meridian.common.geo.GeoIpLocator;

/** The responder on its own, fed wire bytes; the real servers over UDP and TCP are in the integration tests. */
class DnsResponderTests {

    private static final InetAddress RESOLVER = address("127.0.0.1");
    private static GeoIpLocator geoIp;
    private static DnsResponder responder;

    @BeforeAll
    static void setUp() {
        geoIp = GeoIpLocator.open(GeoIpDatabase.path(), new GeoIpLocator.Place("US", 39.04, -77.49), 1024);
        RoutingTable.RegionEntry us = new RoutingTable.RegionEntry(RegionId.of("us-east-1"), ResidencyZone.US, 38.9, -77.4,
                RegionStatus.ACTIVE, false, 1.0, List.of("192.0.2.1"));
        RoutingTable.RegionEntry eu = new RoutingTable.RegionEntry(RegionId.of("eu-west-1"), ResidencyZone.EU, 53.35, -6.26,
                RegionStatus.ACTIVE, false, 1.0, List.of("192.0.2.3", "2001:db8::3"));
        RoutingTable.RegionEntry ap = new RoutingTable.RegionEntry(RegionId.of("ap-northeast-1"), ResidencyZone.APAC, 35.68, 139.69,
                RegionStatus.ACTIVE, true, 1.0, List.of("192.0.2.4"));
        RoutingTable.Rule latency = new RoutingTable.Rule(RuleType.LATENCY, 0.5, null, Map.of(), Map.of(), Map.of(), 0);
        Map<String, ResidencyZone> zones = Map.of("GB", ResidencyZone.UK, "JP", ResidencyZone.APAC, "US", ResidencyZone.US);
        RoutingTable api = new RoutingTable("api", 1, Instant.EPOCH, 1, Set.of(), List.of(ap, eu, us), List.of(latency), List.of(), zones,
                Map.of(), Map.of(), 0.5);
        RoutingTable vault = new RoutingTable("vault", 1, Instant.EPOCH, 1, Set.of(ResidencyZone.APAC), List.of(ap, us), List.of(latency),
                List.of(), zones, Map.of(), Map.of(), 0.5);
        Map<String, RoutingDecider> deciders = Map.of("api", RoutingDecider.of(api), "vault", RoutingDecider.of(vault));
        responder = new DnsResponder("svc.test.", 5, service -> Optional.ofNullable(deciders.get(service)), () -> true, geoIp,
                address("127.0.0.1"));
    }

    @AfterAll
    static void tearDown() {
        geoIp.close();
    }

    @Test
    void aRoutedServiceAnswersTheChosenRegionsAddressAuthoritatively() throws Exception {
        Message reply = ask(query("api.svc.test.", Type.A, null));

        assertThat(reply.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(reply.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(reply.getSection(Section.ANSWER)).singleElement().satisfies(r -> {
            assertThat(r.getTTL()).isEqualTo(5);
            assertThat(((ARecord) r).getAddress().getHostAddress()).as("the resolver is private: default location US").isEqualTo("192.0.2.1");
        });
    }

    @Test
    void theEdnsClientSubnetDecidesWhenPresentAndIsEchoedWithItsScope() throws Exception {
        Message london = ask(query("api.svc.test.", Type.A, new ClientSubnetOption(24, address("81.2.69.0"))));
        assertThat(((ARecord) london.getSection(Section.ANSWER).getFirst()).getAddress().getHostAddress()).isEqualTo("192.0.2.3");
        ClientSubnetOption echoed = (ClientSubnetOption) london.getOPT().getOptions(EDNSOption.Code.CLIENT_SUBNET).getFirst();
        assertThat(echoed.getSourcePrefixLength()).isEqualTo(24);
        assertThat(echoed.getScopePrefixLength()).isEqualTo(24);

        Message tokyo = ask(query("api.svc.test.", Type.A, new ClientSubnetOption(16, address("133.11.0.0"))));
        assertThat(((ARecord) tokyo.getSection(Section.ANSWER).getFirst()).getAddress().getHostAddress())
                .as("ap-northeast-1 is fenced: the nearest other region").isEqualTo("192.0.2.3");
    }

    @Test
    void aaaaComesFromTheFirstRegionInTheDecisionThatHasAnIpv6Address() throws Exception {
        Message reply = ask(query("api.svc.test.", Type.AAAA, null));

        assertThat(reply.getSection(Section.ANSWER)).singleElement()
                .satisfies(r -> assertThat(((AAAARecord) r).getAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:3"));
    }

    @Test
    void negativeAnswersCarryTheSoa() throws Exception {
        Message missing = ask(query("nope.svc.test.", Type.A, null));
        assertThat(missing.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(missing.getSection(Section.AUTHORITY)).singleElement().satisfies(r -> assertThat(r.getType()).isEqualTo(Type.SOA));
        assertThat(ask(query("deep.api.svc.test.", Type.A, null)).getRcode()).isEqualTo(Rcode.NXDOMAIN);

        Message noData = ask(query("api.svc.test.", Type.TXT, null));
        assertThat(noData.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(noData.getSection(Section.ANSWER)).isEmpty();
        assertThat(noData.getSection(Section.AUTHORITY)).singleElement().satisfies(r -> assertThat(r.getType()).isEqualTo(Type.SOA));
    }

    @Test
    void theApexAnswersSoaAndNs() throws Exception {
        assertThat(ask(query("svc.test.", Type.SOA, null)).getSection(Section.ANSWER)).singleElement()
                .satisfies(r -> assertThat(r.getType()).isEqualTo(Type.SOA));
        Message ns = ask(query("svc.test.", Type.NS, null));
        assertThat(ns.getSection(Section.ANSWER)).singleElement().satisfies(r -> assertThat(r.rdataToString()).isEqualTo("ns1.svc.test."));
        assertThat(ns.getSection(Section.ADDITIONAL)).anySatisfy(r -> assertThat(r.getType()).isEqualTo(Type.A));
    }

    @Test
    void namesOutsideTheZoneAreRefused() throws Exception {
        assertThat(ask(query("example.com.", Type.A, null)).getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(ask(query("test.", Type.A, null)).getRcode()).isEqualTo(Rcode.REFUSED);
        Message chaos = Message.newQuery(Record.newRecord(Name.fromString("version.bind."), Type.TXT, DClass.CH));
        assertThat(ask(chaos).getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void aResidencyRefusalIsServfailWithAnExtendedErrorNeverAnAddressOutOfZone() throws Exception {
        Message reply = ask(query("vault.svc.test.", Type.A, new ClientSubnetOption(16, address("133.11.0.0"))));

        assertThat(reply.getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(reply.getSection(Section.ANSWER)).isEmpty();
        assertThat(reply.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR)).singleElement()
                .satisfies(o -> assertThat(((ExtendedErrorCodeOption) o).getText()).contains("residency"));
    }

    @Test
    void malformedPacketsGetFormerrWithTheirIdOrNothingAtAll() throws Exception {
        byte[] garbage = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 'b', 'r', 'o', 'k'};
        byte[] reply = responder.respond(garbage, garbage.length, RESOLVER, false);
        Message parsed = new Message(reply);
        assertThat(parsed.getHeader().getID()).isEqualTo(0x1234);
        assertThat(parsed.getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(parsed.getHeader().getFlag(Flags.QR)).isTrue();

        assertThat(responder.respond(new byte[] {1, 2, 3}, 3, RESOLVER, false)).as("no header: nothing to answer").isNull();

        Message twoQuestions = query("api.svc.test.", Type.A, null);
        twoQuestions.addRecord(Record.newRecord(Name.fromString("api.svc.test."), Type.AAAA, DClass.IN), Section.QUESTION);
        assertThat(ask(twoQuestions).getRcode()).isEqualTo(Rcode.FORMERR);

        byte[] badSubnet = query("api.svc.test.", Type.A, new ClientSubnetOption(24, address("81.2.69.0"))).toWire();
        badSubnet[badSubnet.length - 5] = 40; // source prefix 40 for an IPv4 family: invalid
        assertThat(new Message(responder.respond(badSubnet, badSubnet.length, RESOLVER, false)).getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void responsesAndUnknownOpcodesAreNotAnswered() throws Exception {
        Message response = query("api.svc.test.", Type.A, null);
        response.getHeader().setFlag(Flags.QR);
        assertThat(responder.respond(response.toWire(), response.toWire().length, RESOLVER, false)).isNull();

        Message update = query("api.svc.test.", Type.A, null);
        update.getHeader().setOpcode(Opcode.UPDATE);
        assertThat(ask(update).getRcode()).isEqualTo(Rcode.NOTIMP);
    }

    private static Message query(String name, int type, ClientSubnetOption subnet) throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        if (subnet != null) {
            query.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(subnet)), Section.ADDITIONAL);
        }
        return query;
    }

    private static Message ask(Message query) throws Exception {
        byte[] wire = query.toWire();
        byte[] reply = responder.respond(wire, wire.length, RESOLVER, false);
        assertThat(reply).isNotNull();
        Message parsed = new Message(reply);
        assertThat(parsed.getHeader().getID()).isEqualTo(query.getHeader().getID());
        return parsed;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
