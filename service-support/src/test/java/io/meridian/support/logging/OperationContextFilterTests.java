package io.meridian.support.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** The operation id and region a request puts into the logging context. */
class OperationContextFilterTests {

    @Test
    void theCallersPlainIdIsKeptAndAnythingElseReplaced() {
        assertThat(OperationContextFilter.operationId("gw-7f3a.12")).isEqualTo("gw-7f3a.12");
        assertThat(OperationContextFilter.operationId(null)).matches("[0-9a-f]{16}");
        assertThat(OperationContextFilter.operationId("a b")).matches("[0-9a-f]{16}");
        assertThat(OperationContextFilter.operationId("x".repeat(65))).matches("[0-9a-f]{16}");
        assertThat(OperationContextFilter.operationId("id\r\nX-Injected: 1")).matches("[0-9a-f]{16}");
    }

    @Test
    void theRegionIsTheFirstRegionIdInThePathElseTheParameter() {
        assertThat(OperationContextFilter.regionOf("/api/v1/regions/eu-west-1/drain", null)).isEqualTo("eu-west-1");
        assertThat(OperationContextFilter.regionOf("/api/v1/backups", "ap-northeast-1")).isEqualTo("ap-northeast-1");
        assertThat(OperationContextFilter.regionOf("/api/v1/backups", "../etc")).isNull();
        assertThat(OperationContextFilter.regionOf("/api/v1/regions", null)).isNull();
    }

    @Test
    void theContextHoldsWhileTheRequestIsServedAndIsClearedAfter() throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("POST", "/api/v1/regions/us-east-1/drain");
        request.addHeader(OperationContextFilter.HEADER, "op-1");
        MockHttpServletResponse response = new MockHttpServletResponse();
        AtomicReference<String> operation = new AtomicReference<>();
        AtomicReference<String> region = new AtomicReference<>();

        new OperationContextFilter().doFilter(request, response, (req, res) -> {
            operation.set(MDC.get(OperationContextFilter.OPERATION));
            region.set(MDC.get(OperationContextFilter.REGION));
        });

        assertThat(operation).hasValue("op-1");
        assertThat(region).hasValue("us-east-1");
        assertThat(response.getHeader(OperationContextFilter.HEADER)).isEqualTo("op-1");
        assertThat(MDC.get(OperationContextFilter.OPERATION)).isNull();
        assertThat(MDC.get(OperationContextFilter.REGION)).isNull();
    }
}
