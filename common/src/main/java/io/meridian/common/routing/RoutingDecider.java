package io.meridian.common.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.GeoLocation;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingDecision.DecidedBy;
import io.meridian.common.routing.RoutingDecision.Outcome;

/**
 * Decides where a located client goes by one {@link RoutingTable}. Pure and thread-safe; build one per
 * table version ({@link #of}) and call {@link #decide} for every request.
 *
 * <ol>
 *   <li><b>Residency.</b> For a zone-tagged service, a client whose country lies in one of the tagged
 *       zones may only go to regions of its own zone; any other client only to regions of the tagged
 *       zones. Nothing below ever looks outside these allowed regions.</li>
 *   <li><b>Rules, in order.</b> Each yields an ordered list of allowed regions or passes:
 *       {@link RuleType#GEOGRAPHIC} the regions the client's country (or else its zone) maps to;
 *       {@link RuleType#LATENCY} the regions within the bound, fastest first; {@link RuleType#HEALTH} the
 *       regions at or above the threshold, ACTIVE before DEGRADED, then healthiest and nearest first; {@link RuleType#WEIGHTED} the weighted regions in rendezvous order
 *       for this client. Every rule skips regions that do not serve (status, fencing) or fall below its
 *       health threshold. The first non-empty list decides: its head is the target.</li>
 *   <li><b>Fallbacks.</b> After the deciding rule's own list come the policy's fallback chain and then
 *       every other healthy allowed region, nearest first.</li>
 *   <li><b>Refusal.</b> If no rule decides and no healthy allowed region is left, the client is refused:
 *       {@link DecidedBy#RESIDENCY_REFUSAL} when residency narrowed the choice, else
 *       {@link DecidedBy#NO_HEALTHY_REGION}. A zone-tagged service is never routed out of its zone.</li>
 * </ol>
 *
 * <p>Decisions without an explanation are memoised per place (country and coordinates) unless a
 * weighted split decided them, the only outcome that depends on the client key: GeoIP answers come from
 * a bounded set of places, so most decisions cost one probe of a small direct-mapped table.
 *
 * <p>Weighted splits are sticky by <em>weighted rendezvous hashing</em>: each (client, region) pair
 * gets a pseudo-random {@code u} in (0, 1) from the client key and the region id, the region scores
 * {@code weight / -ln(u)}, and the highest score wins. A client only moves when a weight change makes
 * another region outscore its own, so raising a canary from 5 % to 10 % (the other weights shrinking
 * in proportion) moves about 5 % of clients, all of them to the canary. Latency is the measured
 * round-trip time for the client's country where one is known, else the great-circle estimate of
 * {@link GeoLocation#estimatedRttMillis}.
 */
public final class RoutingDecider {

    private static final double KM_PER_RTT_MS = 200.0 / (2 * 1.5);

    private final RoutingTable table;
    private final RoutingTable.RegionEntry[] regions;
    private final Map<RegionId, Integer> indexById = new HashMap<>();
    private final double[] latitudeRad;
    private final double[] longitudeRad;
    private final double[] cosLatitude;
    private final long[] seeds;
    private final int[][] ruleWeights;
    private final int[] fallbackIndexes;
    private final RttSlot[] rttCache = new RttSlot[1024];
    /** Sized for the places of a large client population (GeoLite2 City knows about 92,000), filled lazily. */
    private final MemoSlot[] memo = new MemoSlot[16_384];

    private RoutingDecider(RoutingTable table) {
        this.table = table;
        this.regions = table.regions().toArray(RoutingTable.RegionEntry[]::new);
        int n = regions.length;
        latitudeRad = new double[n];
        longitudeRad = new double[n];
        cosLatitude = new double[n];
        seeds = new long[n];
        for (int i = 0; i < n; i++) {
            indexById.put(regions[i].id(), i);
            latitudeRad[i] = Math.toRadians(regions[i].latitude());
            longitudeRad[i] = Math.toRadians(regions[i].longitude());
            cosLatitude[i] = Math.cos(latitudeRad[i]);
            seeds[i] = regionSeed(regions[i].id());
        }
        ruleWeights = new int[table.rules().size()][];
        for (int r = 0; r < ruleWeights.length; r++) {
            int[] weights = new int[n];
            table.rules().get(r).weights().forEach((id, weight) -> {
                Integer index = RegionId.isValid(id) ? indexById.get(RegionId.of(id)) : null;
                if (index != null) {
                    weights[index] = weight;
                }
            });
            ruleWeights[r] = weights;
        }
        fallbackIndexes = indexes(table.fallback());
    }

    /** A decider for {@code table}. */
    public static RoutingDecider of(RoutingTable table) {
        return new RoutingDecider(table);
    }

    /** The table this decider decides by. */
    public RoutingTable table() {
        return table;
    }

    /**
     * Decides where {@code client} goes.
     *
     * @param client    where the client is
     * @param clientKey the client's stickiness key ({@link #clientKey(byte[])} of its address, or of a session id)
     * @param explain   whether to build the human explanation (costs an allocation or two; DNS skips it)
     */
    public RoutingDecision decide(ClientLocation client, long clientKey, boolean explain) {
        if (explain) {
            return evaluate(client, clientKey, true);
        }
        String country = client.country() == null ? "" : client.country();
        double latitude = client.latitude();
        double longitude = client.longitude();
        int slot = (int) (mix64(Double.doubleToLongBits(latitude) * 31 + Double.doubleToLongBits(longitude) + country.hashCode()) >>> 40)
                & (memo.length - 1);
        MemoSlot cached = memo[slot];
        if (cached != null && cached.latitude == latitude && cached.longitude == longitude && cached.country.equals(country)) {
            RoutingDecision d = cached.decision;
            return new RoutingDecision(d.service(), d.outcome(), d.target(), d.fallbacks(), d.decidedBy(), d.ruleIndex(), "", client,
                    d.clientZone(), d.tableVersion());
        }
        RoutingDecision decision = evaluate(client, clientKey, false);
        if (decision.decidedBy() != DecidedBy.WEIGHTED) {
            // only a weighted split depends on the client key; everything else on the place alone
            memo[slot] = new MemoSlot(latitude, longitude, country, decision);
        }
        return decision;
    }

    private record MemoSlot(double latitude, double longitude, String country, RoutingDecision decision) {
    }

    private RoutingDecision evaluate(ClientLocation client, long clientKey, boolean explain) {
        int n = regions.length;
        String country = client.country();
        ResidencyZone clientZone = country == null ? null : table.countryZones().get(country);
        boolean[] allowed = new boolean[n];
        Set<ResidencyZone> tagged = table.residencyZones();
        boolean restricted = !tagged.isEmpty();
        ResidencyZone ownZone = restricted && clientZone != null && tagged.contains(clientZone) ? clientZone : null;
        for (int i = 0; i < n; i++) {
            allowed[i] = !restricted || (ownZone != null ? regions[i].zone() == ownZone : tagged.contains(regions[i].zone()));
        }
        double[] estimated = estimatedRtt(client.latitude(), client.longitude());
        double[] rtt = new double[n];
        Map<String, Double> measured = country == null ? null : table.measuredRttMillis().get(country);
        for (int i = 0; i < n; i++) {
            if (!allowed[i]) {
                rtt[i] = Double.POSITIVE_INFINITY;
            } else {
                Double value = measured == null ? null : measured.get(regions[i].id().value());
                rtt[i] = value != null ? value : estimated[i];
            }
        }
        List<RoutingTable.Rule> rules = table.rules();
        StringBuilder why = explain ? new StringBuilder(160) : null;
        if (why != null) {
            describeClient(why, client, clientZone, restricted, ownZone);
        }
        int[] order = new int[n];
        for (int r = 0; r < rules.size(); r++) {
            RoutingTable.Rule rule = rules.get(r);
            int count = switch (rule.type()) {
                case GEOGRAPHIC -> geographic(rule, country, clientZone, allowed, order);
                case LATENCY -> latency(rule, allowed, rtt, order);
                case HEALTH -> health(rule, allowed, rtt, order);
                case WEIGHTED -> weighted(r, rule, allowed, clientKey, order);
            };
            if (count > 0) {
                if (why != null) {
                    why.append("rule ").append(r + 1).append(' ').append(rule.type()).append(": ");
                    describeRule(why, rule, order, count, country, rtt);
                }
                return routed(client, clientZone, DecidedBy.of(rule.type()), r, order, count, allowed, rtt, why);
            }
            if (why != null) {
                why.append("rule ").append(r + 1).append(' ').append(rule.type()).append(" passed (")
                        .append(passReason(rule, country)).append("); ");
            }
        }
        int count = 0;
        for (int index : fallbackIndexes) {
            if (allowed[index] && regions[index].healthy(table.healthThreshold())) {
                order[count++] = index;
            }
        }
        if (count > 0) {
            if (why != null) {
                why.append("no rule decided; fallback chain: ").append(regions[order[0]].id());
            }
            return routed(client, clientZone, DecidedBy.FALLBACK, -1, order, count, allowed, rtt, why);
        }
        count = nearestHealthy(allowed, rtt, order);
        if (count > 0) {
            if (why != null) {
                why.append("no rule decided and no fallback is healthy; nearest healthy region: ").append(regions[order[0]].id());
            }
            return routed(client, clientZone, DecidedBy.FALLBACK, -1, order, count, allowed, rtt, why);
        }
        DecidedBy refusal = restricted ? DecidedBy.RESIDENCY_REFUSAL : DecidedBy.NO_HEALTHY_REGION;
        if (why != null) {
            why.append(restricted
                    ? "refused: no healthy region in " + (ownZone != null ? "zone " + ownZone : "zones " + sorted(tagged))
                            + " and the service's data may not leave " + (ownZone != null ? "it" : "them")
                    : "refused: the service has no healthy region");
        }
        return new RoutingDecision(table.service(), Outcome.REFUSED, null, List.of(), refusal, -1, why == null ? "" : why.toString(),
                client, clientZone, table.version());
    }

    private RoutingDecision routed(ClientLocation client, @Nullable ResidencyZone clientZone, DecidedBy decidedBy, int ruleIndex,
            int[] order, int count, boolean[] allowed, double[] rtt, @Nullable StringBuilder why) {
        int n = regions.length;
        boolean[] used = new boolean[n];
        RegionId[] chain = new RegionId[n];
        int size = 0;
        for (int i = 0; i < count; i++) {
            if (!used[order[i]]) {
                used[order[i]] = true;
                chain[size++] = regions[order[i]].id();
            }
        }
        double threshold = table.healthThreshold();
        for (int index : fallbackIndexes) {
            if (!used[index] && allowed[index] && regions[index].healthy(threshold)) {
                used[index] = true;
                chain[size++] = regions[index].id();
            }
        }
        int[] rest = new int[n];
        int restCount = nearestHealthy(allowed, rtt, rest);
        for (int i = 0; i < restCount; i++) {
            if (!used[rest[i]]) {
                used[rest[i]] = true;
                chain[size++] = regions[rest[i]].id();
            }
        }
        List<RegionId> fallbacks = size <= 1 ? List.of() : List.of(java.util.Arrays.copyOfRange(chain, 1, size));
        return new RoutingDecision(table.service(), Outcome.ROUTED, chain[0], fallbacks, decidedBy, ruleIndex,
                why == null ? "" : why.toString(), client, clientZone, table.version());
    }

    private int geographic(RoutingTable.Rule rule, @Nullable String country, @Nullable ResidencyZone clientZone, boolean[] allowed,
            int[] order) {
        if (country == null) {
            return 0;
        }
        List<RegionId> mapped = rule.countries().get(country);
        if (mapped == null && clientZone != null) {
            mapped = rule.zones().get(clientZone.name());
        }
        if (mapped == null) {
            mapped = table.countryRegions().get(country);
        }
        if (mapped == null) {
            return 0;
        }
        int count = 0;
        for (RegionId id : mapped) {
            Integer index = indexById.get(id);
            if (index != null && allowed[index] && regions[index].healthy(rule.healthThreshold())) {
                order[count++] = index;
            }
        }
        return count;
    }

    private int latency(RoutingTable.Rule rule, boolean[] allowed, double[] rtt, int[] order) {
        double bound = rule.maxLatencyMillis() == null ? Double.POSITIVE_INFINITY : rule.maxLatencyMillis();
        int count = 0;
        for (int i = 0; i < regions.length; i++) {
            if (allowed[i] && regions[i].healthy(rule.healthThreshold()) && rtt[i] <= bound) {
                order[count++] = i;
            }
        }
        sortBy(order, count, (a, b) -> Double.compare(rtt[a], rtt[b]));
        return count;
    }

    private int health(RoutingTable.Rule rule, boolean[] allowed, double[] rtt, int[] order) {
        int count = 0;
        for (int i = 0; i < regions.length; i++) {
            if (allowed[i] && regions[i].healthy(rule.healthThreshold())) {
                order[count++] = i;
            }
        }
        sortBy(order, count, (a, b) -> {
            int byStatus = Boolean.compare(regions[b].status() == RegionStatus.ACTIVE, regions[a].status() == RegionStatus.ACTIVE);
            if (byStatus != 0) {
                return byStatus;
            }
            int byScore = Double.compare(regions[b].healthScore(), regions[a].healthScore());
            return byScore != 0 ? byScore : Double.compare(rtt[a], rtt[b]);
        });
        return count;
    }

    private int weighted(int ruleIndex, RoutingTable.Rule rule, boolean[] allowed, long clientKey, int[] order) {
        int[] weights = ruleWeights[ruleIndex];
        double[] score = new double[regions.length];
        int count = 0;
        int healthyWeight = 0;
        for (int i = 0; i < regions.length; i++) {
            if (weights[i] > 0 && allowed[i] && regions[i].healthy(rule.healthThreshold())) {
                order[count++] = i;
                healthyWeight += weights[i];
                score[i] = rendezvousScore(clientKey, seeds[i], weights[i]);
            }
        }
        if (count == 0 || healthyWeight < rule.minHealthyWeight()) {
            return 0;
        }
        sortBy(order, count, (a, b) -> Double.compare(score[b], score[a]));
        return count;
    }

    private int nearestHealthy(boolean[] allowed, double[] rtt, int[] order) {
        int count = 0;
        for (int i = 0; i < regions.length; i++) {
            if (allowed[i] && regions[i].healthy(table.healthThreshold())) {
                order[count++] = i;
            }
        }
        sortBy(order, count, (a, b) -> Double.compare(rtt[a], rtt[b]));
        return count;
    }

    /**
     * Great-circle RTT estimates from a point to every region, cached per point: GeoIP answers come
     * from a bounded set of places, so the trigonometry runs once per place and table.
     */
    private double[] estimatedRtt(double latitude, double longitude) {
        long bits = Double.doubleToLongBits(latitude) * 31 + Double.doubleToLongBits(longitude);
        int slot = (int) (mix64(bits) >>> 54) & (rttCache.length - 1);
        RttSlot cached = rttCache[slot];
        if (cached != null && cached.latitude == latitude && cached.longitude == longitude) {
            return cached.rtt;
        }
        double phi1 = Math.toRadians(latitude);
        double cosPhi1 = Math.cos(phi1);
        double lambda1 = Math.toRadians(longitude);
        double[] rtt = new double[regions.length];
        for (int i = 0; i < regions.length; i++) {
            double sinPhi = Math.sin((latitudeRad[i] - phi1) / 2);
            double sinLambda = Math.sin((longitudeRad[i] - lambda1) / 2);
            double h = sinPhi * sinPhi + cosPhi1 * cosLatitude[i] * sinLambda * sinLambda;
            double km = 2 * GeoLocation.EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
            rtt[i] = 1.0 + km / KM_PER_RTT_MS;
        }
        rttCache[slot] = new RttSlot(latitude, longitude, rtt);
        return rtt;
    }

    private record RttSlot(double latitude, double longitude, double[] rtt) {
    }

    private interface IndexComparator {
        int compare(int a, int b);
    }

    /** Stable insertion sort of the first {@code count} indexes (a handful of regions; no boxing). */
    private static void sortBy(int[] order, int count, IndexComparator comparator) {
        for (int i = 1; i < count; i++) {
            int value = order[i];
            int j = i - 1;
            while (j >= 0 && comparator.compare(order[j], value) > 0) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = value;
        }
    }

    private int[] indexes(List<RegionId> ids) {
        return ids.stream().map(indexById::get).filter(java.util.Objects::nonNull).mapToInt(Integer::intValue).toArray();
    }

    // ---- stickiness ------------------------------------------------------------------------------------------------

    /** Weighted rendezvous score of a (client, region) pair: {@code weight / -ln(u)}, u uniform in (0, 1). */
    static double rendezvousScore(long clientKey, long regionSeed, int weight) {
        long h = mix64(clientKey ^ regionSeed);
        double u = ((h >>> 11) + 0.5) * 0x1.0p-53;
        return weight / -Math.log(u);
    }

    /** The stickiness key of a client address (4 bytes for IPv4, 16 for IPv6), or of any other byte string. */
    public static long clientKey(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix64(h);
    }

    /** The stickiness key of an IPv4 address held in the low 32 bits of {@code address}. */
    public static long clientKeyIpv4(int address) {
        return clientKey(new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address});
    }

    static long regionSeed(RegionId id) {
        return clientKey(id.value().getBytes(java.nio.charset.StandardCharsets.UTF_8)) * 0x9E3779B97F4A7C15L + 1;
    }

    /** The finaliser of SplitMix64 / MurmurHash3: a bijective avalanche of 64 bits. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    // ---- explanations ----------------------------------------------------------------------------------------------

    private static void describeClient(StringBuilder why, ClientLocation client, @Nullable ResidencyZone zone, boolean restricted,
            @Nullable ResidencyZone ownZone) {
        why.append("client ").append(client.address()).append(' ');
        switch (client.source()) {
            case GEOIP -> why.append("located in ").append(client.country() == null ? "an unknown country" : client.country())
                    .append(" by GeoIP");
            case PRIVATE -> why.append("is a private address; default location ").append(client.country());
            case UNKNOWN -> why.append("is not in the GeoIP database; default location ").append(client.country());
            case MALFORMED -> why.append("is not an IP address; default location ").append(client.country());
        }
        if (zone != null) {
            why.append(" (zone ").append(zone).append(')');
        }
        why.append("; ");
        if (restricted) {
            why.append(ownZone != null ? "residency keeps it in zone " + ownZone : "residency keeps the service in its zones").append("; ");
        }
    }

    private void describeRule(StringBuilder why, RoutingTable.Rule rule, int[] order, int count, @Nullable String country, double[] rtt) {
        RoutingTable.RegionEntry target = regions[order[0]];
        switch (rule.type()) {
            case GEOGRAPHIC -> why.append(country).append(" maps to ").append(target.id());
            case LATENCY -> why.append(target.id()).append(" is the fastest at ").append(String.format(Locale.ROOT, "%.1f", rtt[order[0]]))
                    .append(" ms").append(rule.maxLatencyMillis() == null ? "" : " (bound " + rule.maxLatencyMillis() + " ms)");
            case HEALTH -> why.append(target.id()).append(" is the healthiest (score ")
                    .append(String.format(Locale.ROOT, "%.2f", target.healthScore())).append(')');
            case WEIGHTED -> why.append("sticky weighted split picks ").append(target.id()).append(" (weight ")
                    .append(String.format(Locale.ROOT, "%.1f", rule.weights().getOrDefault(target.id().value(), 0) / 10.0)).append(" %)");
        }
        why.append(" (").append(target.status()).append(", health ").append(String.format(Locale.ROOT, "%.2f", target.healthScore()))
                .append(')');
        if (count > 1) {
            why.append("; next ").append(regions[order[1]].id());
        }
    }

    private String passReason(RoutingTable.Rule rule, @Nullable String country) {
        return switch (rule.type()) {
            case GEOGRAPHIC -> country == null ? "country unknown"
                    : "no healthy allowed region mapped to " + country;
            case LATENCY -> "no healthy allowed region" + (rule.maxLatencyMillis() == null ? "" : " within " + rule.maxLatencyMillis() + " ms");
            case HEALTH -> "no allowed region with health >= " + rule.healthThreshold();
            case WEIGHTED -> "healthy allowed weight below " + rule.minHealthyWeight() / 10.0 + " %";
        };
    }

    private static String sorted(Set<ResidencyZone> zones) {
        return zones.stream().map(Enum::name).sorted().toList().toString();
    }
}
