package io.meridian.backup.policy;

import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.backup.catalog.Backup;
import io.meridian.backup.policy.Policies.PolicyRequest;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** Backup policies at {@code /api/v1/backups/policies}. */
@RestController
@RequestMapping("/api/v1/backups/policies")
@Tag(name = "backup policies", description = "Schedules, retention, copy targets and verification per regional database")
class PolicyController {

    private final Policies policies;

    PolicyController(Policies policies) {
        this.policies = policies;
    }

    @GetMapping
    @Operation(summary = "Every policy")
    List<BackupPolicy> all() {
        return policies.all();
    }

    @GetMapping("/{id}")
    @Operation(summary = "One policy")
    BackupPolicy get(@PathVariable String id) {
        return policies.get(id);
    }

    @PostMapping
    @Operation(summary = "Create a policy")
    ResponseEntity<BackupPolicy> create(@RequestBody PolicyRequest request) {
        return ResponseEntity.status(HttpStatus.CREATED).body(policies.create(request));
    }

    @PostMapping("/{id}/runs")
    @Operation(summary = "Run the policy now (202; poll the backup)")
    ResponseEntity<Backup> run(@PathVariable String id) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(policies.runNow(id));
    }

    @PostMapping("/{id}/{action:enable|disable}")
    @Operation(summary = "Enable or disable scheduled runs")
    BackupPolicy enable(@PathVariable String id, @PathVariable String action) {
        return policies.setEnabled(id, action.equals("enable"));
    }

    @DeleteMapping("/{id}")
    @PreAuthorize("hasRole('admin')")
    @Operation(summary = "Delete a policy (its backups stay in the catalog)")
    ResponseEntity<Void> delete(@PathVariable String id) {
        policies.delete(id);
        return ResponseEntity.noContent().build();
    }
}
