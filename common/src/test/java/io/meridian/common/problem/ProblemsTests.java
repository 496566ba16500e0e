package io.meridian.common.problem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.http.ProblemDetail;

import io.meridian.common.region.IllegalTransitionException;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;

class ProblemsTests {

    @Test
    void validationProblemNamesEveryField() {
        ProblemDetail problem = Problems.validation(List.of(new Problems.FieldError("location.latitude", "must be between -90 and 90"),
                new Problems.FieldError("zone", "unknown zone 'MARS'")));
        assertThat(problem.getStatus()).isEqualTo(400);
        assertThat(problem.getType().toString()).isEqualTo("https://meridian.dev/problems/validation");
        assertThat(problem.getProperties()).containsEntry("field", "location.latitude");
        assertThat((List<?>) problem.getProperties().get("errors")).hasSize(2);
        assertThat(problem.getDetail()).contains("location.latitude", "zone");
        assertThatThrownBy(() -> Problems.validation(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void typedExceptionsBecomeProblemsWithStableTypes() {
        ProblemDetail invalid = new InvalidFieldException("id", "must look like 'eu-west-1'").toProblemDetail();
        assertThat(invalid.getStatus()).isEqualTo(400);
        assertThat(invalid.getProperties()).containsEntry("field", "id");

        ProblemDetail transition = new IllegalTransitionException(RegionId.of("eu-west-1"), RegionStatus.FAILED, RegionStatus.ACTIVE)
                .toProblemDetail();
        assertThat(transition.getStatus()).isEqualTo(409);
        assertThat(transition.getType()).isEqualTo(ProblemTypes.ILLEGAL_TRANSITION);
        assertThat(transition.getProperties()).containsEntry("allowed", List.of("DEGRADED", "MAINTENANCE"));

        ProblemDetail missing = MeridianException.notFound("region", "eu-west-9").toProblemDetail();
        assertThat(missing.getStatus()).isEqualTo(404);
        assertThat(missing.getProperties()).isEqualTo(Map.of("id", "eu-west-9"));

        ProblemDetail internal = Problems.internal("abc123");
        assertThat(internal.getDetail()).contains("abc123").doesNotContain("Exception");
    }

    @Test
    void problemTypesAreSlugsAndReservedMembersAreProtected() {
        assertThat(ProblemTypes.of("region-not-found").toString()).isEqualTo("https://meridian.dev/problems/region-not-found");
        assertThatThrownBy(() -> ProblemTypes.of("Not Found")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MeridianException.notFound("region", "x").with("status", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MeridianException(ProblemTypes.INTERNAL, 200, "t", "d")).isInstanceOf(IllegalArgumentException.class);
    }
}
