package io.meridian.support.audit;

import java.util.List;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Size;

import org.jspecify.annotations.Nullable;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** Serves this service's audit log at {@code <apiBase>/audit}, newest first. */
@RestController
@Validated
@Tag(name = "audit", description = "Who did what, why, and with what result")
class AuditController {

    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping("${meridian.service.api-base}/audit")
    @Operation(summary = "Recent control actions of this service, newest first")
    List<AuditRecord> recent(@RequestParam(defaultValue = "100") @Min(1) @Max(1000) int limit,
            @RequestParam(required = false) @Nullable @Size(max = 200) String target) {
        return audit.recent(limit, target);
    }
}
