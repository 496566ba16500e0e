package io.meridian.backup.restore;

import java.util.List;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.backup.restore.Restores.RestoreRequest;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** Restores at {@code /api/v1/backups/restores}. */
@RestController
@Validated
@RequestMapping("/api/v1/backups/restores")
@Tag(name = "restores", description = "Restore a backup into a region of its residency zone, with progress and cancellation")
class RestoreController {

    private final Restores restores;

    RestoreController(Restores restores) {
        this.restores = restores;
    }

    @GetMapping
    @Operation(summary = "Recent restores, newest first")
    List<Restore> recent(@RequestParam(defaultValue = "50") @Min(1) @Max(500) int limit) {
        return restores.recent(limit);
    }

    @GetMapping("/{id}")
    @Operation(summary = "One restore, with its phase and progress")
    Restore get(@PathVariable String id) {
        return restores.get(id);
    }

    @PostMapping
    @Operation(summary = "Restore a backup into a region (202; poll the restore). Replacing an existing target needs the admin role "
            + "and confirm set to the target's name")
    ResponseEntity<Restore> start(@RequestBody RestoreRequest request) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(restores.start(request));
    }

    @PostMapping("/{id}/cancel")
    @Operation(summary = "Cancel a running restore; the target is left as it was")
    Restore cancel(@PathVariable String id) {
        return restores.cancel(id);
    }
}
