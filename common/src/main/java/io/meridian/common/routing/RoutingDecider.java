package io.meridian.common.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
 * <p><b>Per-place routes.</b> Everything above but the weighted split's order depends on the client's place
 * (country and coordinates) alone, and GeoIP answers come from a bounded set of places that
 * {@code GeoIpLocator} numbers densely (about 92,000 for GeoLite2 City). So a decider keeps, per place id, the
 * place's compiled route ({@link #route}): the routed or refused outcome with its target and fallbacks, or for
 * a weighted split its candidates (regions, weights, hash seeds) and the fixed tail of fallbacks after them.
 * A place's route is compiled on its first decision by the reference path ({@link #decide(ClientLocation, long,
 * boolean)}'s own rules, {@code RoutingDeciderTests} compares the two) and kept in an array indexed by place id,
 * allocated in chunks of 4,096 places as ids are seen. Equal routes are shared (interned), so a table of n regions
 * holds at most a few hundred distinct ones; the memory is one reference per place seen plus those (about 460 KB
 * per table with every GeoLite2 City place decided, {@code routing-service/benchmarks.sh footprint}). A decider belongs to one table version: a new table gets a new
 * decider and an empty place array, so no route outlives the table it was compiled from. A located client's
 * decision is then an array load and, for a weighted split, one hash and logarithm per candidate region, with
 * nothing allocated but the {@link RoutingDecision} itself ({@link #route} allocates nothing at all).
 * Decisions with an explanation, and locations without a place id (IPv6 answers of the database reader), take
 * the reference path.
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

    /** Place ids from 0 up to this (exclusive) have a slot in {@link #byPlace}; others take the reference path. */
    public static final int MAX_PLACE_ID = 1 << 21;
    private static final int CHUNK_BITS = 12;
    /** Interned routes beyond this many are kept per place without sharing (bounds the intern map, not the routes). */
    private static final int MAX_INTERNED = 65_536;
    /**
     * The compiled route of each place id, in chunks of 4,096 allocated on first use. Written without locks: a route
     * is immutable (final fields), so a reader sees null (and compiles it again) or a whole route; two threads
     * creating the same chunk at once lose one of the chunks' entries, which are compiled again.
     */
    private final PlaceRoute[][] byPlace = new PlaceRoute[MAX_PLACE_ID >>> CHUNK_BITS][];
    private final ConcurrentHashMap<Object, PlaceRoute> interned = new ConcurrentHashMap<>();

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
     * Decides where {@code client} goes by the reference path: every rule evaluated for this client (the
     * explanation needs it; for a client with a place id, {@link #decide(ClientLocation, int, long, boolean)} is the
     * fast path and returns the same decision).
     *
     * @param client    where the client is
     * @param clientKey the client's stickiness key ({@link #clientKey(byte[])} of its address, or of a session id)
     * @param explain   whether to build the human explanation (costs an allocation or two; DNS skips it)
     */
    public RoutingDecision decide(ClientLocation client, long clientKey, boolean explain) {
        return evaluate(client, clientKey, explain);
    }

    /**
     * Decides where {@code client} goes, from its place's compiled route when it has a place id and no explanation
     * is asked for; the same decision as {@link #decide(ClientLocation, long, boolean)}.
     *
     * @param placeId the client location's dense place id ({@code GeoIpLocator.Located#placeId}): equal ids must mean
     *                equal country and coordinates; negative for none
     */
    public RoutingDecision decide(ClientLocation client, int placeId, long clientKey, boolean explain) {
        if (explain || placeId < 0 || placeId >= MAX_PLACE_ID) {
            return evaluate(client, clientKey, explain);
        }
        Route route = route(placeId, client.country(), client.latitude(), client.longitude(), clientKey);
        return new RoutingDecision(table.service(), route.outcome(), route.target(), route.fallbacks(), route.decidedBy(),
                route.ruleIndex(), "", client, route.clientZone(), table.version());
    }

    /**
     * The route of a client at place {@code placeId} (country and coordinates as given; only read the first time
     * the place is seen) with stickiness key {@code clientKey}: the decision without the client and explanation.
     * Allocates nothing once the place's route is compiled (for weighted splits over at most four regions; larger
     * splits build their order per call).
     *
     * @throws IllegalArgumentException if {@code placeId} is not in [0, {@link #MAX_PLACE_ID})
     */
    public Route route(int placeId, @Nullable String country, double latitude, double longitude, long clientKey) {
        if (placeId < 0 || placeId >= MAX_PLACE_ID) {
            throw new IllegalArgumentException("place id " + placeId + " is outside [0, " + MAX_PLACE_ID + ")");
        }
        PlaceRoute[] chunk = byPlace[placeId >>> CHUNK_BITS];
        if (chunk == null) {
            chunk = new PlaceRoute[1 << CHUNK_BITS];
            byPlace[placeId >>> CHUNK_BITS] = chunk;
        }
        int slot = placeId & (1 << CHUNK_BITS) - 1;
        PlaceRoute place = chunk[slot];
        if (place == null) {
            place = compilePlace(country, latitude, longitude);
            chunk[slot] = place;
        }
        return place.route(clientKey);
    }

    /** How many places have a compiled route, and how many distinct routes they share (for benchmarks and tests). */
    public int[] placeStatistics() {
        int places = 0;
        for (PlaceRoute[] chunk : byPlace) {
            if (chunk != null) {
                for (PlaceRoute route : chunk) {
                    places += route == null ? 0 : 1;
                }
            }
        }
        return new int[] {places, interned.size()};
    }

    /**
     * A decision without its client and explanation: what a place's compiled route answers.
     *
     * @param outcome    routed, or refused
     * @param target     the region to send the client to; null when refused
     * @param fallbacks  the regions to try next, in order
     * @param decidedBy  what decided
     * @param ruleIndex  the deciding rule's position, or -1
     * @param clientZone the residency zone of the client's country, if any
     */
    public record Route(Outcome outcome, @Nullable RegionId target, List<RegionId> fallbacks, DecidedBy decidedBy, int ruleIndex,
            @Nullable ResidencyZone clientZone) {

        public Route {
            fallbacks = List.copyOf(fallbacks);
        }

        /** Whether the client is sent somewhere. */
        public boolean routed() {
            return outcome == Outcome.ROUTED;
        }
    }

    /** A place's compiled route: fixed, or a weighted split over fixed candidates. */
    private sealed interface PlaceRoute permits FixedRoute, WeightedRoute {
        Route route(long clientKey);
    }

    private record FixedRoute(Route fixed) implements PlaceRoute {
        @Override
        public Route route(long clientKey) {
            return fixed;
        }
    }

    /**
     * A weighted split at a place: the candidates in region order with their weights and hash seeds, and the
     * fallbacks after them (the fallback chain, then the nearest healthy regions; the same for every client). The
     * client's order of the candidates is its rendezvous order; for up to four candidates the route of each order is
     * built once and kept ({@link #byOrder}, indexed by the candidates' positions, two bits each).
     */
    private static final class WeightedRoute implements PlaceRoute {
        private final int ruleIndex;
        private final @Nullable ResidencyZone clientZone;
        private final RegionId[] candidates;
        private final int[] weights;
        private final long[] seeds;
        private final RegionId[] tail;
        private final Route[] byOrder;

        WeightedRoute(int ruleIndex, @Nullable ResidencyZone clientZone, RegionId[] candidates, int[] weights, long[] seeds,
                RegionId[] tail) {
            this.ruleIndex = ruleIndex;
            this.clientZone = clientZone;
            this.candidates = candidates;
            this.weights = weights;
            this.seeds = seeds;
            this.tail = tail;
            this.byOrder = candidates.length <= 4 ? new Route[256] : new Route[0];
        }

        @Override
        public Route route(long clientKey) {
            int k = candidates.length;
            if (k > 4) {
                return routeOf(positions(clientKey));
            }
            // positions without an array: candidate i goes after every j that scores higher, and after every j < i
            // that scores the same (the reference path's stable sort); absent candidates score -1 and count nowhere
            double s0 = rendezvousScore(clientKey, seeds[0], weights[0]);
            double s1 = k > 1 ? rendezvousScore(clientKey, seeds[1], weights[1]) : -1;
            double s2 = k > 2 ? rendezvousScore(clientKey, seeds[2], weights[2]) : -1;
            double s3 = k > 3 ? rendezvousScore(clientKey, seeds[3], weights[3]) : -1;
            int p0 = (s1 > s0 ? 1 : 0) + (s2 > s0 ? 1 : 0) + (s3 > s0 ? 1 : 0);
            int p1 = k > 1 ? (s0 >= s1 ? 1 : 0) + (s2 > s1 ? 1 : 0) + (s3 > s1 ? 1 : 0) : 0;
            int p2 = k > 2 ? (s0 >= s2 ? 1 : 0) + (s1 >= s2 ? 1 : 0) + (s3 > s2 ? 1 : 0) : 0;
            int p3 = k > 3 ? (s0 >= s3 ? 1 : 0) + (s1 >= s3 ? 1 : 0) + (s2 >= s3 ? 1 : 0) : 0;
            int slot = p0 | p1 << 2 | p2 << 4 | p3 << 6;
            Route route = byOrder[slot];
            if (route == null) {
                route = routeOf(new int[] {p0, p1, p2, p3});
                byOrder[slot] = route;
            }
            return route;
        }

        /** Each candidate's position in the client's order (general path, for more than four candidates). */
        private int[] positions(long clientKey) {
            int k = candidates.length;
            double[] score = new double[k];
            for (int i = 0; i < k; i++) {
                score[i] = rendezvousScore(clientKey, seeds[i], weights[i]);
            }
            int[] position = new int[k];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    if (score[j] > score[i] || j < i && score[j] == score[i]) {
                        position[i]++;
                    }
                }
            }
            return position;
        }

        private Route routeOf(int[] position) {
            int k = candidates.length;
            RegionId[] chain = new RegionId[k + tail.length];
            for (int i = 0; i < k; i++) {
                chain[position[i]] = candidates[i];
            }
            System.arraycopy(tail, 0, chain, k, tail.length);
            return new Route(Outcome.ROUTED, chain[0], List.of(java.util.Arrays.copyOfRange(chain, 1, chain.length)), DecidedBy.WEIGHTED,
                    ruleIndex, clientZone);
        }
    }

    private record WeightedKey(int ruleIndex, @Nullable ResidencyZone clientZone, List<RegionId> candidates, List<Integer> weights,
            List<RegionId> tail) {
    }

    /** What residency allows a client at a place, and the RTT to each allowed region (infinite for the others). */
    private record PlaceContext(@Nullable ResidencyZone clientZone, boolean restricted, @Nullable ResidencyZone ownZone, boolean[] allowed,
            double[] rtt) {
    }

    private PlaceContext context(@Nullable String country, double latitude, double longitude) {
        int n = regions.length;
        ResidencyZone clientZone = country == null ? null : table.countryZones().get(country);
        boolean[] allowed = new boolean[n];
        Set<ResidencyZone> tagged = table.residencyZones();
        boolean restricted = !tagged.isEmpty();
        ResidencyZone ownZone = restricted && clientZone != null && tagged.contains(clientZone) ? clientZone : null;
        for (int i = 0; i < n; i++) {
            allowed[i] = !restricted || (ownZone != null ? regions[i].zone() == ownZone : tagged.contains(regions[i].zone()));
        }
        double[] estimated = estimatedRtt(latitude, longitude);
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
        return new PlaceContext(clientZone, restricted, ownZone, allowed, rtt);
    }

    /**
     * A place's route, by the same rules as {@link #evaluate} with the weighted split's order left to the client.
     * Runs once per place and table version.
     */
    private PlaceRoute compilePlace(@Nullable String country, double latitude, double longitude) {
        PlaceContext place = context(country, latitude, longitude);
        boolean[] allowed = place.allowed();
        double[] rtt = place.rtt();
        List<RoutingTable.Rule> rules = table.rules();
        int[] order = new int[regions.length];
        for (int r = 0; r < rules.size(); r++) {
            RoutingTable.Rule rule = rules.get(r);
            if (rule.type() == RuleType.WEIGHTED) {
                int count = weightedCandidates(r, rule, allowed, order);
                if (count > 0) {
                    return intern(weightedRoute(r, place.clientZone(), order, count, allowed, rtt));
                }
                continue;
            }
            int count = switch (rule.type()) {
                case GEOGRAPHIC -> geographic(rule, country, place.clientZone(), allowed, order);
                case LATENCY -> latency(rule, allowed, rtt, order);
                case HEALTH -> health(rule, allowed, rtt, order);
                case WEIGHTED -> throw new IllegalStateException("handled above");
            };
            if (count > 0) {
                return intern(fixedRoute(place.clientZone(), DecidedBy.of(rule.type()), r, order, count, allowed, rtt));
            }
        }
        int count = fallbackChain(allowed, order);
        if (count == 0) {
            count = nearestHealthy(allowed, rtt, order);
        }
        if (count > 0) {
            return intern(fixedRoute(place.clientZone(), DecidedBy.FALLBACK, -1, order, count, allowed, rtt));
        }
        DecidedBy refusal = place.restricted() ? DecidedBy.RESIDENCY_REFUSAL : DecidedBy.NO_HEALTHY_REGION;
        return intern(new FixedRoute(new Route(Outcome.REFUSED, null, List.of(), refusal, -1, place.clientZone())));
    }

    private FixedRoute fixedRoute(@Nullable ResidencyZone clientZone, DecidedBy decidedBy, int ruleIndex, int[] order, int count,
            boolean[] allowed, double[] rtt) {
        RegionId[] chain = new RegionId[regions.length];
        int size = chain(order, count, allowed, rtt, chain);
        return new FixedRoute(new Route(Outcome.ROUTED, chain[0], size <= 1 ? List.of() : List.of(java.util.Arrays.copyOfRange(chain, 1, size)),
                decidedBy, ruleIndex, clientZone));
    }

    private WeightedRoute weightedRoute(int ruleIndex, @Nullable ResidencyZone clientZone, int[] order, int count, boolean[] allowed,
            double[] rtt) {
        RegionId[] candidates = new RegionId[count];
        int[] weights = new int[count];
        long[] candidateSeeds = new long[count];
        for (int i = 0; i < count; i++) {
            candidates[i] = regions[order[i]].id();
            weights[i] = ruleWeights[ruleIndex][order[i]];
            candidateSeeds[i] = seeds[order[i]];
        }
        RegionId[] chain = new RegionId[regions.length];
        int size = chain(order, count, allowed, rtt, chain);
        return new WeightedRoute(ruleIndex, clientZone, candidates, weights, candidateSeeds, java.util.Arrays.copyOfRange(chain, count, size));
    }

    private PlaceRoute intern(PlaceRoute route) {
        Object key = switch (route) {
            case FixedRoute fixed -> fixed;
            case WeightedRoute weighted -> new WeightedKey(weighted.ruleIndex, weighted.clientZone, List.of(weighted.candidates),
                    java.util.Arrays.stream(weighted.weights).boxed().toList(), List.of(weighted.tail));
        };
        PlaceRoute existing = interned.get(key);
        if (existing != null) {
            return existing;
        }
        if (interned.size() >= MAX_INTERNED) {
            return route;
        }
        existing = interned.putIfAbsent(key, route);
        return existing != null ? existing : route;
    }

    private RoutingDecision evaluate(ClientLocation client, long clientKey, boolean explain) {
        String country = client.country();
        PlaceContext place = context(country, client.latitude(), client.longitude());
        ResidencyZone clientZone = place.clientZone();
        boolean restricted = place.restricted();
        ResidencyZone ownZone = place.ownZone();
        Set<ResidencyZone> tagged = table.residencyZones();
        boolean[] allowed = place.allowed();
        double[] rtt = place.rtt();
        int n = regions.length;
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
        int count = fallbackChain(allowed, order);
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
        RegionId[] chain = new RegionId[regions.length];
        int size = chain(order, count, allowed, rtt, chain);
        List<RegionId> fallbacks = size <= 1 ? List.of() : List.of(java.util.Arrays.copyOfRange(chain, 1, size));
        return new RoutingDecision(table.service(), Outcome.ROUTED, chain[0], fallbacks, decidedBy, ruleIndex,
                why == null ? "" : why.toString(), client, clientZone, table.version());
    }

    /**
     * The whole chain of a routed decision into {@code chain}: the deciding list ({@code order}), then the fallback
     * chain, then the nearest healthy allowed regions, each region once. Returns its length.
     */
    private int chain(int[] order, int count, boolean[] allowed, double[] rtt, RegionId[] chain) {
        int n = regions.length;
        boolean[] used = new boolean[n];
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
        return size;
    }

    /** The policy's fallback chain, healthy and allowed regions only, into {@code order}; returns how many. */
    private int fallbackChain(boolean[] allowed, int[] order) {
        int count = 0;
        for (int index : fallbackIndexes) {
            if (allowed[index] && regions[index].healthy(table.healthThreshold())) {
                order[count++] = index;
            }
        }
        return count;
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
        int count = weightedCandidates(ruleIndex, rule, allowed, order);
        if (count == 0) {
            return 0;
        }
        int[] weights = ruleWeights[ruleIndex];
        double[] score = new double[regions.length];
        for (int i = 0; i < count; i++) {
            score[order[i]] = rendezvousScore(clientKey, seeds[order[i]], weights[order[i]]);
        }
        sortBy(order, count, (a, b) -> Double.compare(score[b], score[a]));
        return count;
    }

    /**
     * The weighted rule's candidates (weighted, allowed and healthy regions) in region order into {@code order};
     * 0 when the rule passes (none, or their weights below the rule's minimum).
     */
    private int weightedCandidates(int ruleIndex, RoutingTable.Rule rule, boolean[] allowed, int[] order) {
        int[] weights = ruleWeights[ruleIndex];
        int count = 0;
        int healthyWeight = 0;
        for (int i = 0; i < regions.length; i++) {
            if (weights[i] > 0 && allowed[i] && regions[i].healthy(rule.healthThreshold())) {
                order[count++] = i;
                healthyWeight += weights[i];
            }
        }
        return count == 0 || healthyWeight < rule.minHealthyWeight() ? 0 : count;
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
        // clientKey of the address's 4 bytes, without making them
        long h = 0xcbf29ce484222325L;
        h = (h ^ (address >>> 24)) * 0x100000001b3L;
        h = (h ^ (address >>> 16 & 0xff)) * 0x100000001b3L;
        h = (h ^ (address >>> 8 & 0xff)) * 0x100000001b3L;
        h = (h ^ (address & 0xff)) * 0x100000001b3L;
        return mix64(h);
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
