package io.meridian.gateway.traffic;

import java.util.List;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.WebsocketServerSpec;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * WebSocket upgrades on the live path: the upstream handshake is made first (with the client's subprotocols), and
 * only when the chosen region accepted it is the client's connection upgraded (with the subprotocol the region chose
 * and the gateway's headers); frames then flow both ways untouched, and a close on either side is passed on with its
 * status. A region whose handshake fails counts as a failed call for its circuit, and the next allowed region is
 * tried, as for a connect failure: nothing of the conversation has been sent yet. Written on Reactor Netty's own
 * WebSocket client and server (what Spring's WebSocket support runs on), because the live path works below WebFlux.
 */
final class WebSocketBridge {

    private static final Logger log = LoggerFactory.getLogger(WebSocketBridge.class);
    /** Handshake headers the client side of the bridge writes itself. */
    private static final List<CharSequence> HANDSHAKE = List.of(HttpHeaderNames.SEC_WEBSOCKET_KEY, HttpHeaderNames.SEC_WEBSOCKET_VERSION,
            HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, HttpHeaderNames.ORIGIN);
    private static final int MAX_FRAME = 1 << 20;

    private WebSocketBridge() {
    }

    /** Whether a request asks to be upgraded to a WebSocket ({@code Connection: upgrade}, {@code Upgrade: websocket}). */
    static boolean isUpgrade(org.springframework.http.HttpHeaders headers) {
        String upgrade = headers.getFirst(org.springframework.http.HttpHeaders.UPGRADE);
        if (upgrade == null || !upgrade.trim().equalsIgnoreCase("websocket")) {
            return false;
        }
        List<String> connection = headers.get(org.springframework.http.HttpHeaders.CONNECTION);
        if (connection == null) {
            return false;
        }
        for (String line : connection) {
            for (String token : line.split(",")) {
                if (token.trim().equalsIgnoreCase("upgrade")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The headers sent upstream: the live path's forwarded headers without the handshake's own. */
    static HttpHeaders upstreamHeaders(HttpHeaders forwarded, HttpHeaders incoming) {
        HttpHeaders out = forwarded.copy();
        for (CharSequence name : HANDSHAKE) {
            out.remove(name);
        }
        String origin = incoming.get(HttpHeaderNames.ORIGIN);
        if (origin != null) {
            out.set("X-Forwarded-Origin", origin);
        }
        return out;
    }

    /**
     * Connects to {@code url} as a WebSocket client and, once the region accepted, upgrades {@code downstream}.
     *
     * @param accepted called when the region accepted the handshake, before the client's upgrade is answered (to set
     *                 the gateway's response headers); its argument is the subprotocol the region chose, if any
     * @return completes when the conversation is over; errors before the client's upgrade are the region's handshake
     *         failures (nothing sent to the client yet)
     */
    static Mono<Void> bridge(HttpClient client, String url, HttpHeaders headers, @Nullable String protocols, HttpServerResponse downstream,
            Function<@Nullable String, HttpServerResponse> accepted) {
        WebsocketClientSpec.Builder spec = WebsocketClientSpec.builder().maxFramePayloadLength(MAX_FRAME).handlePing(true);
        if (protocols != null && !protocols.isBlank()) {
            spec.protocols(protocols);
        }
        // The answer to the live path completes once the client is upgraded, as Spring's own WebSocket support does;
        // the conversation goes on in the upstream connection's handler, which ends when the relay does.
        Sinks.Empty<Void> upgraded = Sinks.empty();
        client.headers(h -> h.set(headers)).websocket(spec.build()).uri(url)
                .handle((upIn, upOut) -> {
                    String chosen = upOut.selectedSubprotocol();
                    HttpServerResponse answer = accepted.apply(chosen);
                    WebsocketServerSpec.Builder server = WebsocketServerSpec.builder().maxFramePayloadLength(MAX_FRAME).handlePing(true);
                    if (chosen != null) {
                        server.protocols(chosen);
                    }
                    Sinks.Empty<Void> over = Sinks.empty();
                    return answer.sendWebsocket((downIn, downOut) -> relay(upIn, upOut, downIn, downOut)
                                    .doFinally(signal -> over.tryEmitEmpty()), server.build())
                            .doOnSuccess(done -> upgraded.tryEmitEmpty())
                            .doOnError(upgraded::tryEmitError)
                            .then(over.asMono());
                })
                .subscribe(null, error -> {
                    if (upgraded.tryEmitError(error).isFailure()) {
                        log.debug("WebSocket to {} ended with {}", url, error.toString());
                    }
                }, upgraded::tryEmitEmpty);
        return upgraded.asMono();
    }

    /**
     * Frames both ways until one side closes; its close status (or 1000 when it closed without one) is passed to the
     * other. The close is watched on each side's inbound rather than inferred from a failed write, so the side that
     * closed first decides the status the other sees.
     */
    private static Mono<Void> relay(WebsocketInbound upIn, WebsocketOutbound upOut, WebsocketInbound downIn, WebsocketOutbound downOut) {
        Mono<Void> toRegion = upOut.sendObject(frames(downIn)).then().onErrorResume(e -> Mono.empty());
        Mono<Void> toClient = downOut.sendObject(frames(upIn)).then().onErrorResume(e -> Mono.empty());
        Mono<Void> clientClosed = passClose(downIn, upOut);
        Mono<Void> regionClosed = passClose(upIn, downOut);
        return Mono.firstWithSignal(Mono.when(toRegion, toClient).then(Mono.never()), Mono.firstWithSignal(clientClosed, regionClosed))
                .doOnError(e -> log.debug("WebSocket relay ended with {}", e.toString()))
                .onErrorResume(e -> Mono.empty());
    }

    /**
     * The data, ping and pong frames of one side, retained for the other side's channel (the inbound ones are released
     * once delivered). Close frames stay with Reactor Netty, which answers them; their status is passed on by
     * {@link #passClose}.
     */
    private static reactor.core.publisher.Flux<WebSocketFrame> frames(WebsocketInbound in) {
        return in.receiveFrames().filter(frame -> !(frame instanceof CloseWebSocketFrame)).map(WebSocketFrame::retain);
    }

    private static Mono<Void> passClose(WebsocketInbound closed, WebsocketOutbound other) {
        return closed.receiveCloseStatus().defaultIfEmpty(WebSocketCloseStatus.NORMAL_CLOSURE)
                .flatMap(status -> other.sendClose(status.code(), status.reasonText()))
                .onErrorResume(e -> Mono.empty());
    }
}
