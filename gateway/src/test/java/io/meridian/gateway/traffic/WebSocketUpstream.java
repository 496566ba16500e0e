package io.meridian.gateway.traffic;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.netty.handler.codec.http.HttpHeaders;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * A region's WebSocket upstream for tests: {@code /chat} (subprotocol {@code chat.v1}) answers each text message with
 * "{@code <region>:<message>}" and closes with 4001 "bye" on "bye"; it records each handshake's headers.
 */
final class WebSocketUpstream implements AutoCloseable {

    final String region;
    final List<HttpHeaders> handshakes = new CopyOnWriteArrayList<>();
    private final DisposableServer server;

    WebSocketUpstream(String region) {
        this.region = region;
        this.server = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes.ws("/chat", (in, out) -> {
                    handshakes.add(in.headers().copy());
                    return in.receive().asString().concatMap(text -> "bye".equals(text)
                            ? out.sendClose(4001, "bye")
                            : out.sendString(Mono.just(region + ":" + text)).then()).then();
                }, WebsocketServerSpec.builder().protocols("chat.v1").build()))
                .bindNow();
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The listener and every open connection closed. */
    void kill() {
        server.disposeNow();
    }

    @Override
    public void close() {
        if (!server.isDisposed()) {
            server.disposeNow();
        }
    }
}
