package io.meridian.failover.api;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.region.RegionId;
import io.meridian.failover.config.FailoverProperties;
import io.meridian.failover.database.Lsn;
import io.meridian.failover.execution.Drill;
import io.meridian.failover.execution.DrillLog;
import io.meridian.failover.execution.Drills;
import io.meridian.failover.execution.ExecutorLease;
import io.meridian.failover.execution.Operation;
import io.meridian.failover.execution.OperationKind;
import io.meridian.failover.execution.OperationRequests;
import io.meridian.failover.probe.ProbeBook;
import io.meridian.failover.probe.ProbeResult;
import io.meridian.failover.quorum.DecisionLog;
import io.meridian.failover.quorum.ObserverBook;
import io.meridian.failover.topology.Cluster;
import io.meridian.failover.topology.ClusterMember;
import io.meridian.failover.topology.MemberRole;
import io.meridian.failover.topology.StoredCluster;
import io.meridian.failover.topology.Topology;
import io.swagger.v3.oas.annotations.tags.Tag;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code /api/v1/failover}: status and decisions, the history of failovers, switchovers and rejoins with their
 * measured RTO and RPO, planned switchover, rejoin, drills, and the watched clusters. Requests that start
 * something answer 202 with the operation; follow it at {@code /events/{id}}.
 */
@RestController
@RequestMapping("/api/v1/failover")
@Tag(name = "failover", description = "Quorum failover, switchover, rejoin, drills and their history")
class FailoverController {

    private final FailoverProperties properties;
    private final Topology topology;
    private final ProbeBook probes;
    private final ObserverBook observers;
    private final DecisionLog decisions;
    private final ExecutorLease lease;
    private final OperationRequests requests;
    private final Drills drills;
    private final DrillLog drillLog;
    private final ObjectMapper json;

    FailoverController(FailoverProperties properties, Topology topology, ProbeBook probes, ObserverBook observers, DecisionLog decisions,
            ExecutorLease lease, OperationRequests requests, Drills drills, DrillLog drillLog, ObjectMapper json) {
        this.json = json;
        this.properties = properties;
        this.topology = topology;
        this.probes = probes;
        this.observers = observers;
        this.decisions = decisions;
        this.lease = lease;
        this.requests = requests;
        this.drills = drills;
        this.drillLog = drillLog;
    }

    @GetMapping("/status")
    @io.swagger.v3.oas.annotations.Operation(summary = "Every watched cluster: members' probes, lag and observers' views, the newest "
            + "decision with why it acted or held, and the running operation")
    FailoverStatus status() {
        List<FailoverStatus.ClusterStatus> clusters = new ArrayList<>();
        for (StoredCluster stored : topology.all()) {
            Cluster cluster = stored.cluster();
            Optional<ClusterMember> primary = cluster.primary();
            Optional<ProbeResult> primaryProbe = primary.flatMap(p -> probes.latest(cluster.name(), p.region()));
            List<FailoverStatus.MemberStatus> members = new ArrayList<>();
            for (ClusterMember member : cluster.members()) {
                ProbeResult probe = probes.latest(cluster.name(), member.region()).orElse(null);
                Long lagBytes = null;
                Long lagMillis = null;
                if (member.role() == MemberRole.STANDBY && probe != null && probe.state() != null && primaryProbe.isPresent()
                        && primaryProbe.get().state() != null) {
                    var ps = primaryProbe.get().state();
                    var ss = probe.state();
                    Lsn position = ss.position();
                    if (ps.currentLsn() != null && position != null) {
                        lagBytes = Math.max(0, ps.currentLsn().minus(position));
                    }
                    var written = probes.primaryMark(cluster.name(), primary.get().region()).map(ProbeBook.PrimaryMark::heartbeat).orElse(null);
                    if (written != null && ss.replayedHeartbeat() != null) {
                        lagMillis = Math.max(0, Duration.between(ss.replayedHeartbeat(), written).toMillis());
                    }
                }
                members.add(new FailoverStatus.MemberStatus(member.region(), member.zone(), member.role(), member.jdbcUrl(), probe, lagBytes,
                        lagMillis, observers.views(member.region())));
            }
            clusters.add(new FailoverStatus.ClusterStatus(cluster.name(), primary.map(ClusterMember::region).orElse(null), cluster.synchronous(),
                    cluster.lagBound(properties.execution().maxLagBytes()), members, decisions.latest(cluster.name()).orElse(null),
                    requests.running(cluster.name()).orElse(null), decisions.history(cluster.name(), 10)));
        }
        var p = properties.probe();
        var q = properties.quorum();
        return new FailoverStatus(properties.observer(), lease.held(), lease.info().orElse(null), properties.autoFailover(),
                new FailoverStatus.Thresholds(p.interval().toMillis(), p.timeout().toMillis(), p.failureThreshold(), p.degradedAfter().toMillis(),
                        q.observers(), q.unanimous(), q.maxAge().toMillis(), properties.execution().maxLagBytes()),
                clusters);
    }

    @GetMapping("/events")
    @io.swagger.v3.oas.annotations.Operation(summary = "History: failovers, switchovers and rejoins, newest first, with the time of every "
            + "step, measured RTO and RPO, the reason and the actor")
    List<Operation> events(@RequestParam(required = false) @Nullable String cluster, @RequestParam(required = false) @Nullable OperationKind kind,
            @RequestParam(defaultValue = "50") int limit) {
        if (limit < 1 || limit > 500) {
            throw new InvalidFieldException("limit", "must be between 1 and 500");
        }
        return requests.history(cluster, kind, limit);
    }

    @GetMapping("/events/{id}")
    @io.swagger.v3.oas.annotations.Operation(summary = "One operation")
    Operation event(@PathVariable String id) {
        return requests.get(id);
    }

    @PostMapping("/switchover")
    @io.swagger.v3.oas.annotations.Operation(summary = "Planned switchover to a standby of the same residency zone, with zero data loss "
            + "(writes paused, standby caught up to lag 0, switch); 202 with the operation")
    ResponseEntity<Operation> switchover(@RequestBody Requests.Switchover request) {
        Operation op = requests.switchover(request.target(), request.cluster(), request.reason());
        return ResponseEntity.accepted().location(URI.create("/api/v1/failover/events/" + op.id())).body(op);
    }

    @PostMapping("/rejoin")
    @PreAuthorize("hasRole('admin')")
    @io.swagger.v3.oas.annotations.Operation(summary = "Re-seed a fenced member as a standby of the current primary by a fresh base backup "
            + "(admin: its data is replaced); 202 with the operation")
    ResponseEntity<Operation> rejoin(@RequestBody Requests.Rejoin request) {
        Operation op = requests.rejoin(request.region(), request.cluster(), request.reason());
        return ResponseEntity.accepted().location(URI.create("/api/v1/failover/events/" + op.id())).body(op);
    }

    @GetMapping("/drills")
    @io.swagger.v3.oas.annotations.Operation(summary = "Drills injected, newest first")
    List<Drill> drills(@RequestParam(required = false) @Nullable RegionId region, @RequestParam(defaultValue = "50") int limit) {
        if (limit < 1 || limit > 500) {
            throw new InvalidFieldException("limit", "must be between 1 and 500");
        }
        return drillLog.recent(region, limit);
    }

    @PostMapping("/drills")
    @PreAuthorize("hasRole('admin')")
    @io.swagger.v3.oas.annotations.Operation(summary = "Inject a fault into a region's database (target DATABASE, the default) or "
            + "application (target APP: the process behind its appHealthUrl) in the local stack: KILL (SIGKILL), FREEZE (SIGSTOP: accepts "
            + "connections, never answers) or THAW (admin)")
    ResponseEntity<Drill> drill(@RequestBody Requests.DrillRequest request) {
        Drill drill = drills.inject(request.region(), request.action(), request.target(), request.cluster(), request.reason());
        return ResponseEntity.status(HttpStatus.CREATED).body(drill);
    }

    @GetMapping("/clusters")
    @io.swagger.v3.oas.annotations.Operation(summary = "The watched primary/standby clusters with each member's current role")
    List<StoredCluster> clusters() {
        return topology.all();
    }

    @GetMapping("/clusters/{name}")
    @io.swagger.v3.oas.annotations.Operation(summary = "One watched cluster")
    StoredCluster cluster(@PathVariable String name) {
        return topology.get(name);
    }

    @PostMapping("/clusters")
    @PreAuthorize("hasRole('admin')")
    @io.swagger.v3.oas.annotations.Operation(summary = "Watch a new cluster: exactly one PRIMARY, the others STANDBY (admin)")
    ResponseEntity<StoredCluster> register(@RequestBody JsonNode body) {
        // bound here, after the admin check, so that a caller without the role learns nothing from validation
        Cluster cluster;
        try {
            cluster = json.treeToValue(body, Cluster.class);
        } catch (JacksonException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof InvalidFieldException invalid) {
                    throw invalid;
                }
            }
            throw new InvalidFieldException("body", "is not a cluster: " + e.getOriginalMessage());
        }
        if (cluster == null) {
            throw new InvalidFieldException("body", "must be a cluster");
        }
        StoredCluster stored = topology.register(cluster, io.meridian.support.audit.AuditLog.currentReason());
        return ResponseEntity.created(URI.create("/api/v1/failover/clusters/" + cluster.name())).body(stored);
    }

    @DeleteMapping("/clusters/{name}")
    @PreAuthorize("hasRole('admin')")
    @io.swagger.v3.oas.annotations.Operation(summary = "Stop watching a cluster with no operation running (admin)")
    ResponseEntity<Void> remove(@PathVariable String name) {
        StoredCluster stored = topology.get(name);
        requests.running(name).ifPresent(op -> {
            throw new MeridianException(OperationRequests.FAILOVER_IN_PROGRESS, 409, "Operation in progress",
                    "operation " + op.id() + " runs on cluster " + name + "; wait for it to end");
        });
        topology.remove(name, io.meridian.support.audit.AuditLog.currentReason());
        probes.forget(name);
        decisions.forget(name);
        stored.cluster().members().forEach(m -> observers.forget(m.region()));
        return ResponseEntity.noContent().build();
    }
}
