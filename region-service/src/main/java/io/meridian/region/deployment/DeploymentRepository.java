package io.meridian.region.deployment;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.meridian.common.region.RegionId;
import io.meridian.region.config.ObjectRef;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Deployments, their region runs (with leases) and revisions in the region schema. */
@Repository
class DeploymentRepository {

    private static final String ACTIVE = "('PENDING', 'APPLYING', 'ROLLING_OUT')";

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    DeploymentRepository(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    // ---- deployments -------------------------------------------------------------------------

    void insert(UUID id, DeploymentKind kind, String service, String version, String namespace, String requestedBy,
            @Nullable String reason, List<RegionId> regions, @Nullable Integer sourceRevision, Instant now) {
        jdbc.sql("""
                INSERT INTO deployments (id, kind, service, version, namespace, state, requested_by, reason, entity_version,
                    total_regions, unfinished_regions, failed_regions, created_at, updated_at)
                VALUES (:id, :kind, :service, :version, :namespace, 'RUNNING', :by, :reason, 1, :count, :count, 0, :now, :now)
                """).param("count", regions.size()).param("id", id).param("kind", kind.name()).param("service", service).param("version", version)
                .param("namespace", namespace).param("by", requestedBy).param("reason", reason).param("now", Timestamp.from(now)).update();
        // One statement for all regions (a deployment may name hundreds).
        jdbc.sql("""
                INSERT INTO deployment_regions (deployment_id, region, service, state, reason, message, source_revision,
                    transitioned_at, updated_at, next_attempt_at)
                SELECT :id, region, :service, 'PENDING', 'Pending', 'waiting for an executor', :source, :now, :now, :now
                FROM unnest(CAST(:regions AS text[])) AS region
                """).param("id", id).param("service", service).param("source", sourceRevision).param("now", Timestamp.from(now))
                .param("regions", regions.stream().map(RegionId::value).toArray(String[]::new)).update();
    }

    /** Unfinished runs of {@code service} in any of {@code regions}: region to deployment id. */
    Map<RegionId, UUID> activeRuns(String service, List<RegionId> regions) {
        Map<RegionId, UUID> active = new LinkedHashMap<>();
        jdbc.sql("SELECT region, deployment_id FROM deployment_regions WHERE service = :service AND region IN (:regions) AND state IN " + ACTIVE)
                .param("service", service).param("regions", regions.stream().map(RegionId::value).toList())
                .query((rs, row) -> active.put(RegionId.of(rs.getString(1)), rs.getObject(2, UUID.class))).list();
        return active;
    }

    Optional<Deployment> find(UUID id) {
        return jdbc.sql("SELECT * FROM deployments WHERE id = :id").param("id", id).query(this::mapHeader).optional()
                .map(header -> withRegions(List.of(header)).getFirst());
    }

    /** Locks the deployment row: every change of one deployment (any region) serialises on it. */
    void lock(UUID id) {
        jdbc.sql("SELECT id FROM deployments WHERE id = :id FOR UPDATE").param("id", id).query(UUID.class).optional();
    }

    /** Newest first, optionally only those of {@code service} and/or touching {@code region}. */
    List<Deployment> list(@Nullable String service, @Nullable RegionId region, @Nullable DeploymentState state, int limit) {
        List<Deployment> headers = jdbc.sql("""
                SELECT * FROM deployments d
                WHERE (CAST(:service AS text) IS NULL OR d.service = :service)
                  AND (CAST(:state AS text) IS NULL OR d.state = :state)
                  AND (CAST(:region AS text) IS NULL OR EXISTS (SELECT 1 FROM deployment_regions r WHERE r.deployment_id = d.id AND r.region = :region))
                ORDER BY d.created_at DESC, d.id LIMIT :limit
                """).param("service", service).param("region", region == null ? null : region.value())
                .param("state", state == null ? null : state.name()).param("limit", limit).query(this::mapHeader).list();
        return withRegions(headers);
    }

    /** The deployment without its regions (cheap), if it exists. */
    Optional<Deployment> header(UUID id) {
        return jdbc.sql("SELECT * FROM deployments WHERE id = :id").param("id", id).query(this::mapHeader).optional();
    }

    /**
     * Counts one region as finished (failed or succeeded) and derives the deployment's state from the
     * counters in one statement, so concurrent finishes of one deployment's regions need no other lock
     * than this row's, held only by this short transaction. Returns the deployment without its regions.
     */
    Deployment finishRegion(UUID id, boolean failed, Instant now) {
        return jdbc.sql("""
                UPDATE deployments SET entity_version = entity_version + 1, updated_at = :now,
                    unfinished_regions = unfinished_regions - 1,
                    failed_regions = failed_regions + CASE WHEN :failed THEN 1 ELSE 0 END,
                    state = CASE
                        WHEN unfinished_regions - 1 > 0 THEN 'RUNNING'
                        WHEN failed_regions + CASE WHEN :failed THEN 1 ELSE 0 END = 0 THEN 'SUCCEEDED'
                        WHEN failed_regions + CASE WHEN :failed THEN 1 ELSE 0 END = total_regions THEN 'FAILED'
                        ELSE 'PARTIALLY_FAILED' END,
                    finished_at = CASE WHEN unfinished_regions - 1 > 0 THEN NULL ELSE CAST(:now AS timestamptz) END
                WHERE id = :id
                RETURNING *
                """).param("id", id).param("failed", failed).param("now", Timestamp.from(now)).query(this::mapHeader).single();
    }

    /** Counts {@code count} failed regions as unfinished again (a retry); the deployment runs again. */
    Deployment reopen(UUID id, int count, Instant now) {
        jdbc.sql("""
                UPDATE deployments SET entity_version = entity_version + 1, updated_at = :now, state = 'RUNNING', finished_at = NULL,
                    unfinished_regions = unfinished_regions + :count, failed_regions = failed_regions - :count
                WHERE id = :id
                """).param("id", id).param("count", count).param("now", Timestamp.from(now)).update();
        return find(id).orElseThrow();
    }

    /**
     * The deployment's next version (for the event of a region's change): taken under the deployment's
     * row lock until the transaction ends, so one deployment's events get their versions in the order
     * they are committed and sent.
     */
    long nextVersion(UUID id, Instant now) {
        return jdbc.sql("UPDATE deployments SET entity_version = entity_version + 1, updated_at = :now WHERE id = :id RETURNING entity_version")
                .param("id", id).param("now", Timestamp.from(now)).query(Long.class).single();
    }

    private List<Deployment> withRegions(List<Deployment> headers) {
        if (headers.isEmpty()) {
            return headers;
        }
        Map<UUID, List<RegionRun>> runs = new LinkedHashMap<>();
        jdbc.sql("""
                SELECT deployment_id, region, state, reason, message, attempts, revision, source_revision, applied, cluster,
                       transitioned_at, finished_at
                FROM deployment_regions WHERE deployment_id IN (:ids) ORDER BY region
                """).param("ids", headers.stream().map(Deployment::id).toList()).query((rs, row) -> {
                    runs.computeIfAbsent(rs.getObject("deployment_id", UUID.class), k -> new ArrayList<>()).add(mapRun(rs));
                    return null;
                }).list();
        return headers.stream().map(h -> new Deployment(h.id(), h.kind(), h.service(), h.version(), h.namespace(), h.state(),
                h.requestedBy(), h.reason(), h.entityVersion(), h.createdAt(), h.updatedAt(), h.finishedAt(),
                List.copyOf(runs.getOrDefault(h.id(), List.of())))).toList();
    }

    // ---- claims and fenced transitions -----------------------------------------------------------

    /** Claims up to {@code limit} due runs whose lease is free or expired, for {@code holder}. */
    List<Claim> claim(String holder, int limit, Duration lease, Instant now) {
        return claim(holder, limit, lease, now, java.util.Set.of());
    }

    /** Claims up to {@code limit} due runs whose lease is free or expired, except {@code busy} ones ({@link Claim#key()}). */
    List<Claim> claim(String holder, int limit, Duration lease, Instant now, java.util.Set<String> busy) {
        List<String> excluded = new ArrayList<>(busy);
        excluded.add("-");
        return jdbc.sql("""
                UPDATE deployment_regions r SET lease_holder = :holder, lease_token = r.lease_token + 1, lease_until = :until
                FROM (SELECT deployment_id, region FROM deployment_regions
                      WHERE state IN %s AND next_attempt_at <= :now AND (lease_until IS NULL OR lease_until < :now)
                        AND (deployment_id::text || '/' || region) NOT IN (:busy)
                      ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED) due, deployments d
                WHERE r.deployment_id = due.deployment_id AND r.region = due.region AND d.id = r.deployment_id
                RETURNING r.deployment_id, r.region, r.service, d.version, d.namespace, d.kind, r.state, r.revision, r.source_revision,
                          r.manifests, r.rollout_started_at, r.attempts, r.lease_holder, r.lease_token, d.requested_by, d.reason,
                          d.created_at
                """.formatted(ACTIVE)).param("holder", holder).param("until", Timestamp.from(now.plus(lease)))
                .param("now", Timestamp.from(now)).param("limit", limit).param("busy", excluded).query(this::mapClaim).list();
    }

    /** Extends the lease of {@code claim}; false once another instance has taken it over. */
    boolean renew(Claim claim, Duration lease, Instant now) {
        return jdbc.sql("""
                UPDATE deployment_regions SET lease_until = :until
                WHERE deployment_id = :id AND region = :region AND lease_holder = :holder AND lease_token = :token
                """).param("until", Timestamp.from(now.plus(lease))).param("id", claim.deploymentId()).param("region", claim.region().value())
                .param("holder", claim.holder()).param("token", claim.token()).update() == 1;
    }

    /**
     * Moves a claimed run, if the claim still holds its lease.
     *
     * @param release whether to give the lease up (the run waits for {@code nextAttemptAt} or is finished)
     */
    boolean transition(Claim claim, RegionState state, String reason, @Nullable String message, int addedAttempts,
            @Nullable Integer revision, @Nullable JsonNode manifests, @Nullable JsonNode applied, @Nullable JsonNode cluster,
            @Nullable Instant rolloutStartedAt, Instant nextAttemptAt, boolean release, Instant now) {
        return jdbc.sql("""
                UPDATE deployment_regions SET state = :state, reason = :reason, message = :message, attempts = attempts + :added,
                    revision = COALESCE(CAST(:revision AS integer), revision),
                    manifests = COALESCE(CAST(:manifests AS jsonb), manifests),
                    applied = COALESCE(CAST(:applied AS jsonb), applied),
                    cluster = COALESCE(CAST(:cluster AS jsonb), cluster),
                    rollout_started_at = COALESCE(CAST(:started AS timestamptz), rollout_started_at),
                    transitioned_at = CASE WHEN state <> :state THEN CAST(:now AS timestamptz) ELSE transitioned_at END,
                    updated_at = :now,
                    finished_at = CASE WHEN :state IN ('SUCCEEDED', 'FAILED') THEN CAST(:now AS timestamptz) ELSE NULL END,
                    next_attempt_at = :next,
                    lease_holder = CASE WHEN :release THEN NULL ELSE lease_holder END,
                    lease_until = CASE WHEN :release THEN NULL ELSE lease_until END
                WHERE deployment_id = :id AND region = :region AND lease_holder = :holder AND lease_token = :token
                """).param("state", state.name()).param("reason", reason).param("message", message).param("added", addedAttempts)
                .param("revision", revision).param("manifests", manifests == null ? null : json.writeValueAsString(manifests))
                .param("applied", applied == null ? null : json.writeValueAsString(applied))
                .param("cluster", cluster == null ? null : json.writeValueAsString(cluster))
                .param("started", rolloutStartedAt == null ? null : Timestamp.from(rolloutStartedAt))
                .param("now", Timestamp.from(now)).param("next", Timestamp.from(nextAttemptAt)).param("release", release)
                .param("id", claim.deploymentId()).param("region", claim.region().value()).param("holder", claim.holder())
                .param("token", claim.token()).update() == 1;
    }

    /** Gives the lease of {@code claim} up so the run can be picked up at once (a graceful stop). */
    void release(Claim claim) {
        jdbc.sql("""
                UPDATE deployment_regions SET lease_holder = NULL, lease_until = NULL
                WHERE deployment_id = :id AND region = :region AND lease_holder = :holder AND lease_token = :token
                """).param("id", claim.deploymentId()).param("region", claim.region().value()).param("holder", claim.holder())
                .param("token", claim.token()).update();
    }

    /** Puts the failed runs of a deployment back to work: rendered ones to APPLYING, the others to PENDING. */
    List<RegionId> retryFailed(UUID id, List<RegionId> regions, Instant now) {
        if (regions.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("""
                UPDATE deployment_regions SET state = CASE WHEN manifests IS NULL THEN 'PENDING' ELSE 'APPLYING' END,
                    reason = 'RetryRequested', message = 'retry requested', transitioned_at = :now, updated_at = :now, finished_at = NULL,
                    next_attempt_at = :now, lease_holder = NULL, lease_until = NULL, rollout_started_at = NULL
                WHERE deployment_id = :id AND region IN (:regions) AND state = 'FAILED'
                RETURNING region
                """).param("id", id).param("regions", regions.stream().map(RegionId::value).toList()).param("now", Timestamp.from(now))
                .query((rs, row) -> RegionId.of(rs.getString(1))).list();
    }

    // ---- revisions ----------------------------------------------------------------------------

    /**
     * Records the next revision of {@code service} in {@code region} (one more than the newest, 1 for the first) and returns
     * its number. Two runs of one service in one region are never active together (unique index), so the number is free.
     */
    int insertRevision(String service, RegionId region, String version, UUID deploymentId, @Nullable Integer source, String checksum,
            JsonNode manifests, @Nullable JsonNode values, Instant now) {
        return jdbc.sql("""
                INSERT INTO revisions (service, region, revision, version, deployment_id, status, source_revision, checksum, manifests,
                    merged_values, created_at, updated_at)
                SELECT :service, :region, COALESCE(MAX(revision), 0) + 1, :version, :deployment, 'PENDING', :source, :checksum,
                    CAST(:manifests AS jsonb), CAST(:values AS jsonb), :now, :now
                FROM revisions WHERE service = :service AND region = :region
                RETURNING revision
                """).param("service", service).param("region", region.value()).param("version", version)
                .param("deployment", deploymentId).param("source", source).param("checksum", checksum)
                .param("manifests", json.writeValueAsString(manifests)).param("values", values == null ? null : json.writeValueAsString(values))
                .param("now", Timestamp.from(now)).query(Integer.class).single();
    }

    void setRevisionStatus(String service, RegionId region, int revision, RevisionStatus status, Instant now) {
        jdbc.sql("UPDATE revisions SET status = :status, updated_at = :now WHERE service = :service AND region = :region AND revision = :revision")
                .param("status", status.name()).param("now", Timestamp.from(now)).param("service", service).param("region", region.value())
                .param("revision", revision).update();
    }

    /** Marks {@code revision} DEPLOYED and the one that was DEPLOYED before it SUPERSEDED, in one statement. */
    void deployRevision(String service, RegionId region, int revision, Instant now) {
        jdbc.sql("""
                UPDATE revisions SET status = CASE WHEN revision = :revision THEN 'DEPLOYED' ELSE 'SUPERSEDED' END, updated_at = :now
                WHERE service = :service AND region = :region AND (revision = :revision OR status = 'DEPLOYED')
                """).param("now", Timestamp.from(now)).param("service", service).param("region", region.value()).param("revision", revision)
                .update();
    }

    /** Marks every other DEPLOYED revision of the service in the region SUPERSEDED. */
    void supersedeOthers(String service, RegionId region, int revision, Instant now) {
        jdbc.sql("""
                UPDATE revisions SET status = 'SUPERSEDED', updated_at = :now
                WHERE service = :service AND region = :region AND status = 'DEPLOYED' AND revision <> :revision
                """).param("now", Timestamp.from(now)).param("service", service).param("region", region.value()).param("revision", revision)
                .update();
    }

    /** Revisions of the service in the region, newest first. */
    List<Revision> revisions(String service, RegionId region) {
        return jdbc.sql("SELECT * FROM revisions WHERE service = :service AND region = :region ORDER BY revision DESC")
                .param("service", service).param("region", region.value()).query(this::mapRevision).list();
    }

    /** What runs now: the DEPLOYED revision of each service and region, optionally filtered. */
    List<Revision> deployed(@Nullable String service, @Nullable RegionId region) {
        return jdbc.sql("""
                SELECT * FROM revisions WHERE status = 'DEPLOYED'
                  AND (CAST(:service AS text) IS NULL OR service = :service) AND (CAST(:region AS text) IS NULL OR region = :region)
                ORDER BY service, region
                """).param("service", service).param("region", region == null ? null : region.value()).query(this::mapRevision).list();
    }

    Optional<JsonNode> revisionManifests(String service, RegionId region, int revision) {
        return jdbc.sql("SELECT manifests FROM revisions WHERE service = :service AND region = :region AND revision = :revision")
                .param("service", service).param("region", region.value()).param("revision", revision)
                .query((rs, row) -> json.readTree(rs.getString(1))).optional();
    }

    Optional<JsonNode> revisionValues(String service, RegionId region, int revision) {
        return jdbc.sql("SELECT merged_values FROM revisions WHERE service = :service AND region = :region AND revision = :revision")
                .param("service", service).param("region", region.value()).param("revision", revision)
                .query((rs, row) -> rs.getString(1) == null ? json.createObjectNode() : json.readTree(rs.getString(1))).optional();
    }

    /**
     * The objects of the revisions before {@code revision} that may still be in the cluster: the newest
     * earlier one (whatever its outcome) and the DEPLOYED one.
     */
    List<JsonNode> earlierManifests(String service, RegionId region, int revision) {
        return jdbc.sql("""
                SELECT manifests FROM revisions WHERE service = :service AND region = :region AND revision < :revision
                  AND (status = 'DEPLOYED' OR revision = (SELECT max(revision) FROM revisions
                                                          WHERE service = :service AND region = :region AND revision < :revision))
                """).param("service", service).param("region", region.value()).param("revision", revision)
                .query((rs, row) -> json.readTree(rs.getString(1))).list();
    }

    /** Regions that run at least one DEPLOYED revision. */
    List<RegionId> regionsWithReleases() {
        return jdbc.sql("SELECT DISTINCT region FROM revisions WHERE status = 'DEPLOYED' ORDER BY region")
                .query((rs, row) -> RegionId.of(rs.getString(1))).list();
    }

    /** Every object of the DEPLOYED revisions in {@code region}, by service. */
    Map<String, List<ObjectRef>> deployedObjects(RegionId region) {
        Map<String, List<ObjectRef>> objects = new LinkedHashMap<>();
        jdbc.sql("SELECT service, manifests FROM revisions WHERE region = :region AND status = 'DEPLOYED' ORDER BY service")
                .param("region", region.value()).query((rs, row) -> {
                    List<ObjectRef> refs = objects.computeIfAbsent(rs.getString("service"), s -> new ArrayList<>());
                    json.readTree(rs.getString("manifests")).forEach(manifest -> refs.add(ObjectRef.of(manifest)));
                    return null;
                }).list();
        return objects;
    }

    /** Whether a run of {@code service} in {@code region} is unfinished. */
    boolean hasActiveRun(String service, RegionId region) {
        return jdbc.sql("SELECT count(*) FROM deployment_regions WHERE service = :service AND region = :region AND state IN " + ACTIVE)
                .param("service", service).param("region", region.value()).query(Long.class).single() > 0;
    }

    // ---- mapping -------------------------------------------------------------------------------

    private Deployment mapHeader(ResultSet rs, int row) throws SQLException {
        return new Deployment(rs.getObject("id", UUID.class), DeploymentKind.valueOf(rs.getString("kind")), rs.getString("service"),
                rs.getString("version"), rs.getString("namespace"), DeploymentState.valueOf(rs.getString("state")),
                rs.getString("requested_by"), rs.getString("reason"), rs.getLong("entity_version"), instant(rs, "created_at"),
                instant(rs, "updated_at"), nullableInstant(rs, "finished_at"), List.of());
    }

    private RegionRun mapRun(ResultSet rs) throws SQLException {
        return new RegionRun(RegionId.of(rs.getString("region")), RegionState.valueOf(rs.getString("state")), rs.getString("reason"),
                rs.getString("message"), rs.getInt("attempts"), (Integer) rs.getObject("revision"), (Integer) rs.getObject("source_revision"),
                tree(rs.getString("applied")), tree(rs.getString("cluster")), instant(rs, "transitioned_at"), nullableInstant(rs, "finished_at"));
    }

    private Claim mapClaim(ResultSet rs, int row) throws SQLException {
        return new Claim(rs.getObject("deployment_id", UUID.class), RegionId.of(rs.getString("region")), rs.getString("service"),
                rs.getString("version"), rs.getString("namespace"), DeploymentKind.valueOf(rs.getString("kind")),
                RegionState.valueOf(rs.getString("state")), (Integer) rs.getObject("revision"), (Integer) rs.getObject("source_revision"),
                tree(rs.getString("manifests")), nullableInstant(rs, "rollout_started_at"), rs.getInt("attempts"), rs.getString("lease_holder"),
                rs.getLong("lease_token"), rs.getString("requested_by"), rs.getString("reason"), instant(rs, "created_at"));
    }

    private Revision mapRevision(ResultSet rs, int row) throws SQLException {
        return new Revision(rs.getString("service"), RegionId.of(rs.getString("region")), rs.getInt("revision"), rs.getString("version"),
                rs.getObject("deployment_id", UUID.class), RevisionStatus.valueOf(rs.getString("status")),
                (Integer) rs.getObject("source_revision"), rs.getString("checksum"), instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private @Nullable JsonNode tree(@Nullable String text) {
        return text == null ? null : json.readTree(text);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getTimestamp(column).toInstant();
    }

    private static @Nullable Instant nullableInstant(ResultSet rs, String column) throws SQLException {
        Timestamp value = rs.getTimestamp(column);
        return value == null ? null : value.toInstant();
    }
}
