package io.meridian.gateway.traffic;

import static io.meridian.gateway.traffic.Tables.geographic;
import static io.meridian.gateway.traffic.Tables.region;
import static io.meridian.gateway.traffic.Tables.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.gateway.table.RoutingTableStore;
import io.meridian.stack.Ports;
import io.meridian.testsupport.GeoIpDatabase;
import io.meridian.testsupport.TestInfrastructure;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The Netty data path ({@link LiveConnection}) on the wire: raw sockets on the client side (so keep-alive, pipelining,
 * {@code 100-continue}, HTTP/1.0 and chunked framing are seen as they are), real HTTP upstreams (JDK {@code HttpServer})
 * that echo what they received, stream large chunked answers, fail or hang on purpose.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class LiveConnectionIntegrationTests {

    static final String GB = "81.2.69.160";
    static final Map<String, Upstream> UPSTREAMS = new LinkedHashMap<>();
    /** nx-west-2's upstream is named, not an address: this server is the only one that knows the name. */
    static final TestDns DNS = new TestDns();

    /** An upstream that echoes, streams, fails (status) or hangs (latch), per path. */
    static final class Upstream {
        final String region;
        final HttpServer server;
        final AtomicInteger hits = new AtomicInteger();
        volatile int status = 200;
        volatile String lastBodySha = "";
        volatile String lastHeaders = "";
        volatile CountDownLatch hang = new CountDownLatch(0);

        Upstream(String region) {
            this.region = region;
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", Ports.freePort()), 128);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", this::handle);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        private void handle(HttpExchange exchange) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            hits.incrementAndGet();
            lastBodySha = sha(body);
            StringBuilder headers = new StringBuilder();
            exchange.getRequestHeaders().forEach((name, values) -> headers.append(name.toLowerCase(Locale.ROOT)).append('=').append(values).append('\n'));
            lastHeaders = headers.toString();
            String path = exchange.getRequestURI().getPath();
            exchange.getResponseHeaders().add("X-Upstream", region);
            try {
                if (path.startsWith("/hang")) {
                    hang.await(30, TimeUnit.SECONDS); // a hung upstream: the gateway's response timeout has to end the wait
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().add("Content-Length", "11");
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
                return;
            }
            if (path.startsWith("/stream/")) {
                int size = Integer.parseInt(path.substring("/stream/".length()));
                exchange.sendResponseHeaders(status, 0); // 0: chunked
                try (OutputStream out = exchange.getResponseBody()) {
                    byte[] piece = new byte[16 * 1024];
                    for (int sent = 0; sent < size; sent += piece.length) {
                        int n = Math.min(piece.length, size - sent);
                        for (int i = 0; i < n; i++) {
                            piece[i] = pattern(sent + i);
                        }
                        out.write(piece, 0, n);
                    }
                }
                return;
            }
            byte[] answer = (region + " " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + " len=" + body.length)
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
        for (String id : List.of("nx-west-1", "nx-west-2")) {
            Upstream upstream = new Upstream(id);
            UPSTREAMS.put(id, upstream);
            registry.add("meridian.gateway.traffic.upstreams." + id,
                    () -> "nx-west-2".equals(id) ? "http://" + id + "." + TestDns.ZONE + ":" + upstream.server.getAddress().getPort() : upstream.url());
        }
        registry.add("meridian.gateway.traffic.dns-servers", () -> "127.0.0.1:" + DNS.socket.getLocalPort());
        registry.add("meridian.gateway.traffic.routes[0].host", () -> "nx.test");
        registry.add("meridian.gateway.traffic.routes[0].service", () -> "nx");
        registry.add("meridian.gateway.traffic.trusted-proxies", () -> "127.0.0.1,::1");
        registry.add("meridian.gateway.traffic.state-directory", () -> TestInfrastructure.get().newDirectory("gateway-nx-state").toString());
        registry.add("meridian.gateway.traffic.geoip-database", () -> GeoIpDatabase.path().toString());
        registry.add("meridian.gateway.traffic.connect-timeout", () -> "500ms");
        registry.add("meridian.gateway.traffic.response-timeout", () -> "1s");
        registry.add("meridian.gateway.traffic.max-body-size", () -> "64KB");
        registry.add("meridian.gateway.traffic.replay-buffer-size", () -> "16KB");
        registry.add("meridian.gateway.traffic.max-connections", () -> "4");
        // a breaker that does not open during these tests: they are about the data path, not the circuit
        registry.add("meridian.gateway.traffic.breaker.minimum-calls", () -> "1000");
        registry.add("meridian.gateway.traffic.breaker.sliding-window-size", () -> "1000");
    }

    @AfterAll
    static void stop() {
        DNS.socket.close();
        UPSTREAMS.values().forEach(u -> {
            u.hang.countDown();
            u.server.stop(0);
        });
    }

    @LocalServerPort
    int port;

    @Autowired
    RoutingTableStore store;

    @Autowired
    MeterRegistry meters;

    @BeforeEach
    void publishTable() {
        UPSTREAMS.values().forEach(u -> u.status = 200);
        if (store.get("nx") != null) {
            return;
        }
        var table = table("nx", Set.of(), List.of(
                region("nx-west-1", ResidencyZone.EU, 53.3, -6.3, RegionStatus.ACTIVE),
                region("nx-west-2", ResidencyZone.EU, 51.5, -0.1, RegionStatus.ACTIVE)),
                geographic(Map.of("GB", List.of("nx-west-1"))));
        Tables.publish(TestInfrastructure.get().kafka().bootstrapServers(), table);
        await().atMost(Duration.ofSeconds(30)).until(() -> store.get("nx") != null);
    }

    static Upstream upstream(String region) {
        return UPSTREAMS.get(region);
    }

    double served(String path) {
        var counter = meters.find("meridian.gateway.live.requests").tag("path", path).counter();
        return counter == null ? 0 : counter.count();
    }

    static String get(String path, String... headers) {
        return "GET " + path + " HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\n" + String.join("", headers) + "\r\n";
    }

    @Test
    void liveRequestsTakeTheNettyPathAndAControlRequestHandsTheConnectionToWebFlux() throws IOException {
        double netty = served("netty");
        double reactor = served("reactor");
        try (Client client = new Client(port)) {
            client.send(get("/a"));
            Reply first = client.read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.text()).isEqualTo("nx-west-1 GET /a len=0");
            assertThat(first.header("x-meridian-region")).isEqualTo("nx-west-1");
            assertThat(first.header("x-meridian-decision")).matches("[0-9a-z]{8}");
            assertThat(first.header("set-cookie")).startsWith("meridian-session=").endsWith("; Path=/; HttpOnly; SameSite=Lax");
            client.send(get("/b?q=1"));
            assertThat(client.read().text()).isEqualTo("nx-west-1 GET /b?q=1 len=0");
            assertThat(served("netty") - netty).as("both on the Netty path, on one connection").isEqualTo(2);
            // the control plane on the same connection: WebFlux answers it, then serves the rest of the connection
            client.send("GET /actuator/health HTTP/1.1\r\nHost: localhost\r\n\r\n");
            Reply health = client.read();
            assertThat(health.text()).contains("\"status\"");
            client.send(get("/c"));
            Reply after = client.read();
            assertThat(after.text()).isEqualTo("nx-west-1 GET /c len=0");
            assertThat(after.header("x-meridian-region")).isEqualTo("nx-west-1");
            assertThat(served("reactor") - reactor).as("the live request after the hand-over went the WebFlux way").isEqualTo(1);
        }
        String seen = upstream("nx-west-1").lastHeaders;
        assertThat(seen).contains("x-forwarded-for=[" + GB + ", 127.0.0.1]").contains("x-meridian-decision=").contains("forwarded=[for=127.0.0.1;proto=http;host=\"nx.test\"]");
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderAndHeadCarriesNoBody() throws IOException {
        try (Client client = new Client(port)) {
            client.send(get("/1") + "HEAD /2 HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\n\r\n" + get("/3"));
            assertThat(client.read().text()).isEqualTo("nx-west-1 GET /1 len=0");
            Reply head = client.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo("11");
            assertThat(head.body()).isEmpty();
            assertThat(client.read().text()).as("no stray body bytes after the HEAD answer").isEqualTo("nx-west-1 GET /3 len=0");
        }
    }

    @Test
    void streamsChunkedBodiesBothWaysIntact() throws IOException {
        byte[] body = new byte[40 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = pattern(i);
        }
        try (Client client = new Client(port)) {
            ByteArrayOutputStream chunked = new ByteArrayOutputStream();
            for (int at = 0; at < body.length; at += 3000) {
                int n = Math.min(3000, body.length - at);
                chunked.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                chunked.write(body, at, n);
                chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.send("POST /up HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\nTransfer-Encoding: chunked\r\n\r\n");
            client.send(chunked.toByteArray());
            Reply reply = client.read();
            assertThat(reply.text()).isEqualTo("nx-west-1 POST /up len=" + body.length);
            assertThat(upstream("nx-west-1").lastBodySha).isEqualTo(sha(body));
            assertThat(upstream("nx-west-1").lastHeaders).contains("transfer-encoding=[chunked]");

            // an answer far larger than any buffer, chunked by the upstream: passed on chunked, byte for byte
            int size = 3 * 1024 * 1024 + 17;
            client.send(get("/stream/" + size));
            Reply stream = client.read();
            assertThat(stream.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(stream.body()).hasSize(size);
            byte[] expected = new byte[size];
            for (int i = 0; i < size; i++) {
                expected[i] = pattern(i);
            }
            assertThat(sha(stream.body())).isEqualTo(sha(expected));
            client.send(get("/after"));
            assertThat(client.read().text()).as("the connection is still in step").isEqualTo("nx-west-1 GET /after len=0");
        }
    }

    @Test
    void a5xxIsRetriedWithTheBodyOnlyWhileTheBodyFitsTheReplayBuffer() throws IOException {
        Upstream first = upstream("nx-west-1");
        Upstream second = upstream("nx-west-2");
        first.status = 503;
        byte[] small = "x".repeat(10 * 1024).getBytes(StandardCharsets.US_ASCII);
        byte[] large = "y".repeat(30 * 1024).getBytes(StandardCharsets.US_ASCII);
        try (Client client = new Client(port)) {
            client.send("PUT /doc HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\nContent-Length: " + small.length + "\r\n\r\n");
            client.send(small);
            Reply retried = client.read();
            assertThat(retried.status()).isEqualTo(200);
            assertThat(retried.header("x-meridian-region")).isEqualTo("nx-west-2");
            assertThat(second.lastBodySha).as("the same body went to the next region").isEqualTo(sha(small));
            int secondHits = second.hits.get();
            client.send("PUT /doc HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\nContent-Length: " + large.length + "\r\n\r\n");
            client.send(large);
            Reply passed = client.read();
            assertThat(passed.status()).as("a body beyond the replay buffer cannot be sent twice: the 503 is the answer").isEqualTo(503);
            assertThat(passed.header("x-meridian-region")).isEqualTo("nx-west-1");
            assertThat(first.lastBodySha).isEqualTo(sha(large));
            assertThat(second.hits.get()).isEqualTo(secondHits);
        }
    }

    @Test
    void answers100ContinueBeforeTheBodyAndRefusesOtherExpectations() throws IOException {
        try (Client client = new Client(port)) {
            client.send("POST /form HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            Reply interim = client.read();
            assertThat(interim.status()).isEqualTo(100);
            client.send("hello");
            Reply reply = client.read();
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.text()).isEqualTo("nx-west-1 POST /form len=5");
            assertThat(upstream("nx-west-1").lastHeaders).doesNotContain("expect=");
        }
        try (Client client = new Client(port)) {
            client.send("POST /form HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\nContent-Length: 5\r\nExpect: teapot\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(417);
        }
    }

    @Test
    void aHungUpstreamTimesOutAndOnlyIdempotentRequestsGoToTheNextRegion() throws IOException {
        Upstream first = upstream("nx-west-1");
        first.hang = new CountDownLatch(1);
        try (Client client = new Client(port)) {
            long started = System.nanoTime();
            client.send(get("/hang/get"));
            Reply get = client.read();
            assertThat(get.status()).isEqualTo(200);
            assertThat(get.header("x-meridian-region")).isEqualTo("nx-west-2");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(900), Duration.ofSeconds(10));
            client.send("POST /hang/post HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\nContent-Length: 2\r\n\r\nhi");
            Reply post = client.read();
            assertThat(post.status()).as("a POST that may have reached the upstream is not repeated").isEqualTo(504);
            assertThat(post.header("content-type")).isEqualTo("application/problem+json");
            assertThat(post.text()).contains("timed out waiting for the response");
        } finally {
            first.hang.countDown();
        }
    }

    @Test
    void http10AndConnectionCloseEndTheConnectionAfterTheAnswer() throws IOException {
        try (Client client = new Client(port)) {
            client.send("GET /old HTTP/1.0\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\n\r\n");
            Reply reply = client.read();
            assertThat(reply.text()).isEqualTo("nx-west-1 GET /old len=0");
            assertThat(client.closed()).isTrue();
        }
        try (Client client = new Client(port)) {
            client.send(get("/bye", "Connection: close\r\n"));
            Reply reply = client.read();
            assertThat(reply.header("connection")).isEqualTo("close");
            assertThat(client.closed()).isTrue();
        }
        try (Client client = new Client(port)) {
            client.send("GET /old HTTP/1.0\r\nHost: nx.test\r\nConnection: keep-alive\r\nX-Forwarded-For: " + GB + "\r\n\r\n");
            assertThat(client.read().header("connection")).isEqualTo("keep-alive");
            client.send(get("/again"));
            assertThat(client.read().text()).isEqualTo("nx-west-1 GET /again len=0");
        }
    }

    @Test
    void aStreamedBodyOverTheLimitIs413AndTheHostileOnesAre4xx() throws IOException {
        try (Client client = new Client(port)) {
            client.send("POST /big HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: " + GB + "\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] kb = ("400\r\n" + "z".repeat(1024) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; i < 70; i++) {
                    client.send(kb);
                }
            } catch (IOException e) {
                // the gateway may answer and close before reading everything
            }
            Reply reply = client.read();
            assertThat(reply.status()).isEqualTo(413);
            assertThat(reply.header("content-type")).isEqualTo("application/problem+json");
        }
        try (Client client = new Client(port)) {
            client.send("GET / HTTP/1.1\r\nHost: nx.test\r\nX-Forwarded-For: 999.1.1.1\r\n\r\n");
            Reply reply = client.read();
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.text()).contains("malformed-request");
            client.send(get("/fine"));
            assertThat(client.read().status()).as("a refused request leaves the connection usable").isEqualTo(200);
        }
    }

    @Test
    void aRegionAtItsConnectionLimitSendsTheRestToTheNextRegionAndGetsItsConnectionsBack() throws IOException {
        Upstream first = upstream("nx-west-1");
        int loops = Math.max(Runtime.getRuntime().availableProcessors(), 4); // Reactor Netty's default number of event loops
        int limit = ((4 + loops - 1) / loops) * loops; // max-connections 4, split over the loops and rounded up
        int clients = limit + loops;
        int hitsBefore = first.hits.get();
        double overflowBefore = connectionLimitReached("nx-west-1");
        first.hang = new CountDownLatch(1);
        try (Clients open = Clients.sending(port, clients, i -> get("/hang/limit-" + i))) {
            for (Client client : open.all) {
                Reply reply = client.read();
                assertThat(reply.status()).isEqualTo(200);
                // over the limit: waited the connect timeout; within it: hung until the response timeout; both GETs, so retried
                assertThat(reply.header("x-meridian-region")).isEqualTo("nx-west-2");
            }
            assertThat(first.hits.get() - hitsBefore).as("requests that reached the busy region at once").isBetween(1, limit);
            assertThat(connectionLimitReached("nx-west-1") - overflowBefore).as("requests that found every connection busy")
                    .isGreaterThanOrEqualTo(clients - limit);
        } finally {
            first.hang.countDown();
        }
        // every connection closed on a timeout gave its place back: the region takes as many requests at once as before
        try (Clients again = Clients.sending(port, limit, i -> get("/after-limit-" + i))) {
            for (Client client : again.all) {
                assertThat(client.read().header("x-meridian-region")).isEqualTo("nx-west-1");
            }
        }
    }

    /** Connections opened at once, each with one request sent. */
    record Clients(List<Client> all) implements AutoCloseable {
        static Clients sending(int port, int count, java.util.function.IntFunction<String> request) throws IOException {
            Clients clients = new Clients(new ArrayList<>());
            try {
                for (int i = 0; i < count; i++) {
                    Client client = new Client(port);
                    clients.all.add(client);
                    client.send(request.apply(i));
                }
            } catch (IOException | RuntimeException e) {
                clients.close();
                throw e;
            }
            return clients;
        }

        @Override
        public void close() throws IOException {
            for (Client client : all) {
                client.close();
            }
        }
    }

    @Test
    void anUpstreamHostNameIsResolvedByTheConfiguredDnsServer() throws IOException {
        upstream("nx-west-1").status = 503;
        try (Client client = new Client(port)) {
            client.send(get("/named"));
            Reply reply = client.read();
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.text()).isEqualTo("nx-west-2 GET /named len=0");
        }
        // the name exists nowhere else (no /etc/hosts entry, no other DNS): reaching nx-west-2 took this server's answer, which
        // may have come during an earlier test (cached for its TTL)
        assertThat(DNS.answered.get()).as("A queries answered for nx-west-2's name").isPositive();
    }

    double connectionLimitReached(String region) {
        var counter = meters.find("meridian.gateway.upstream.connection-limit").tag("region", region).counter();
        return counter == null ? 0 : counter.count();
    }

    // ---- a DNS server on loopback ---------------------------------------------------------------------------------------

    /** Answers A queries for names under {@link #ZONE} with 127.0.0.1 over UDP (dnsjava's wire format); NXDOMAIN otherwise. */
    static final class TestDns {
        static final String ZONE = "upstreams.test";
        final java.net.DatagramSocket socket;
        final AtomicInteger answered = new AtomicInteger();

        TestDns() {
            try {
                socket = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread.ofVirtual().name("test-dns").start(this::serve);
        }

        private void serve() {
            byte[] buffer = new byte[512];
            while (!socket.isClosed()) {
                java.net.DatagramPacket packet = new java.net.DatagramPacket(buffer, buffer.length);
                try {
                    socket.receive(packet);
                    org.xbill.DNS.Message query = new org.xbill.DNS.Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
                    org.xbill.DNS.Record question = query.getQuestion();
                    org.xbill.DNS.Message answer = new org.xbill.DNS.Message(query.getHeader().getID());
                    answer.getHeader().setFlag(org.xbill.DNS.Flags.QR);
                    answer.getHeader().setFlag(org.xbill.DNS.Flags.AA);
                    answer.addRecord(question, org.xbill.DNS.Section.QUESTION);
                    if (!question.getName().subdomain(org.xbill.DNS.Name.fromString(ZONE + "."))) {
                        answer.getHeader().setRcode(org.xbill.DNS.Rcode.NXDOMAIN);
                    } else if (question.getType() == org.xbill.DNS.Type.A) {
                        answer.addRecord(new org.xbill.DNS.ARecord(question.getName(), org.xbill.DNS.DClass.IN, 60,
                                java.net.InetAddress.getByAddress(new byte[] {127, 0, 0, 1})), org.xbill.DNS.Section.ANSWER);
                        answered.incrementAndGet();
                    } // other types of a known name: no error, no answer
                    byte[] wire = answer.toWire(512);
                    socket.send(new java.net.DatagramPacket(wire, wire.length, packet.getSocketAddress()));
                } catch (IOException e) {
                    // closed, or a malformed query: nothing to answer
                }
            }
        }
    }

    // ---- a raw HTTP/1.1 client ----------------------------------------------------------------------------------------

    record Reply(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One TCP connection; reads answers by their framing (Content-Length, chunked, or to the end). */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(15_000);
            in = new java.io.BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        void send(String text) throws IOException {
            send(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        void send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        Reply read() throws IOException {
            return read(false);
        }

        Reply read(boolean head) throws IOException {
            String status = line();
            assertThat(status).startsWith("HTTP/1.");
            int code = Integer.parseInt(status.substring(9, 12));
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = line(); !line.isEmpty(); line = line()) {
                int colon = line.indexOf(':');
                headers.merge(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip(), (a, b) -> a + ", " + b);
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (head || code / 100 == 1 || code == 204 || code == 304) {
                return new Reply(code, headers, body.toByteArray());
            }
            if ("chunked".equals(headers.get("transfer-encoding"))) {
                for (int size = Integer.parseInt(line(), 16); size > 0; size = Integer.parseInt(line(), 16)) {
                    body.write(in.readNBytes(size));
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
            } else if (headers.containsKey("content-length")) {
                body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
            } else {
                body.write(in.readAllBytes());
            }
            return new Reply(code, headers, body.toByteArray());
        }

        boolean closed() throws IOException {
            return in.read() == -1;
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c == -1) {
                    throw new IOException("connection closed after '" + line + "'");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static byte pattern(int i) {
        return (byte) (i % 251);
    }

    static String sha(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
