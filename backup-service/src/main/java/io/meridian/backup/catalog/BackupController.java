package io.meridian.backup.catalog;

import java.util.List;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.backup.catalog.BackupRuns.RunSpec;
import io.meridian.common.problem.InvalidFieldException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** The catalog at {@code /api/v1/backups}: backups with locations, sizes, checksums, status and verification results. */
@RestController
@Validated
@RequestMapping("/api/v1/backups")
@Tag(name = "backups", description = "Catalog, on-demand runs, verification, restore tests")
class BackupController {

    private final Catalog catalog;

    BackupController(Catalog catalog) {
        this.catalog = catalog;
    }

    /**
     * An on-demand backup.
     *
     * @param kind                 LOGICAL (default), PHYSICAL or KUBERNETES
     * @param region               source region
     * @param source               database name, or namespace for KUBERNETES
     * @param copyTargets          other regions of the same residency zone to copy to
     * @param verification         NONE, CHECKSUM (default) or RESTORE_TEST
     * @param serverSideEncryption store with SSE (AES256)
     */
    record RunRequest(@Nullable String kind, @Nullable String region, @Nullable String source, @Nullable List<String> copyTargets,
            @Nullable String verification, @Nullable Boolean serverSideEncryption) {
    }

    @GetMapping
    @Operation(summary = "Backups, newest first, with their copies, sizes, checksums, status and verification results")
    List<Backup> list(@RequestParam(required = false) @Nullable String region, @RequestParam(required = false) @Nullable String source,
            @RequestParam(required = false) @Nullable BackupStatus status, @RequestParam(required = false) @Nullable BackupKind kind,
            @RequestParam(defaultValue = "100") @Min(1) @Max(1000) int limit) {
        return catalog.list(region, source, status, kind, limit);
    }

    @GetMapping("/{id}")
    @Operation(summary = "One backup")
    Backup get(@PathVariable String id) {
        return catalog.get(id);
    }

    @PostMapping
    @Operation(summary = "Start an on-demand backup (202; poll the backup)")
    ResponseEntity<Backup> run(@RequestBody RunRequest request) {
        BackupKind kind = parse("kind", request.kind(), BackupKind.class, BackupKind.LOGICAL);
        Verification verification = parse("verification", request.verification(), Verification.class, Verification.CHECKSUM);
        if (request.region() == null) {
            throw new InvalidFieldException("region", "is required");
        }
        if (request.source() == null) {
            throw new InvalidFieldException("source", "is required");
        }
        RunSpec spec = new RunSpec(null, kind, request.region(), request.source(),
                request.copyTargets() == null ? List.of() : request.copyTargets(), verification,
                Boolean.TRUE.equals(request.serverSideEncryption()), "ON_DEMAND", null, null);
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(catalog.runNow(spec));
    }

    @PostMapping("/{id}/verify")
    @Operation(summary = "Re-read every copy and check it against the manifest")
    Backup verify(@PathVariable String id) {
        return catalog.verify(id);
    }

    @PostMapping("/{id}/restore-test")
    @Operation(summary = "Restore into a scratch database and compare row counts and content hashes with those taken at dump time")
    Backup restoreTest(@PathVariable String id) {
        return catalog.restoreTest(id);
    }

    @DeleteMapping("/{id}")
    @PreAuthorize("hasRole('admin')")
    @Operation(summary = "Delete a backup's objects everywhere (never the newest verified backup of a source)")
    Backup delete(@PathVariable String id) {
        return catalog.delete(id);
    }

    static <E extends Enum<E>> E parse(String field, @Nullable String value, Class<E> type, E fallback) {
        if (value == null) {
            return fallback;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(value)) {
                return e;
            }
        }
        throw new InvalidFieldException(field, "must be one of " + java.util.Arrays.toString(type.getEnumConstants()));
    }
}
