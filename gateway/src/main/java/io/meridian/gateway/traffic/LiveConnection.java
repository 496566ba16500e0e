package io.meridian.gateway.traffic;

import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The live-traffic data path in plain Netty: one handler per client connection, installed right after Reactor Netty's
 * HTTP server codec ({@link FastPath}). A live request is decided by the same code as before ({@link LiveTraffic#prepare})
 * and forwarded over a pooled keep-alive upstream channel of the same event loop ({@link UpstreamPools}); request and
 * response bodies stream through as Netty delivers them, with backpressure both ways (a side stops reading while the
 * other cannot take more). No reactive operators, no thread hops, no URI parsing per request.
 *
 * <p>Everything else is handed to Reactor Netty and WebFlux untouched: control-plane requests, unknown or malformed
 * hosts, WebSocket and other upgrades, requests the codec could not decode. Once a connection has handed a request over,
 * the rest of that connection belongs to Reactor Netty (HTTP/1.1 answers must keep their order, and WebFlux's own live
 * path, {@link LiveTraffic} as a decorator, still serves live requests that follow on it).
 *
 * <p>The state machine is hand-written because no library offers an HTTP reverse proxy on Netty's pipeline whose
 * routing, retry and breaker rules are ours; the HTTP parsing and encoding are Netty's codecs, the pooling Netty's
 * {@code FixedChannelPool}, the breakers resilience4j's, the counters Micrometer's.
 */
final class LiveConnection extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(LiveConnection.class);

    /** Pipelined requests queued before the connection stops reading until the earlier answers are out. */
    private static final int MAX_PIPELINED = 8;
    /** Longest a closing connection keeps reading what the client still sends after the answer (see {@link #closeAfter}). */
    private static final long LINGER_MILLIS = 2_000;

    private final FastPath path;
    private @Nullable ChannelHandlerContext ctx;
    private @Nullable Map<Upstreams.Upstream, FixedChannelPool> pools;
    /** The rest of this connection belongs to Reactor Netty. */
    private boolean handedOver;
    /** Live mode: this handler drives reading (Reactor Netty's connections do not read on their own). */
    private boolean live;
    /** Skipping the rest of a request the gateway answered itself. */
    private boolean discarding;
    /** Answered with Connection: close; reading and dropping whatever the client still sends until it closes. */
    private boolean lingering;
    private @Nullable Exchange current;
    private final ArrayDeque<Object> pending = new ArrayDeque<>(2);

    LiveConnection(FastPath path) {
        this.path = path;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.pools = path.pools.of(ctx.channel().eventLoop());
    }

    // ---- the client's side --------------------------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (handedOver) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (lingering) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            read(ctx, msg);
        } catch (RuntimeException e) {
            unexpected(ctx, e);
        }
    }

    /** A failure of this handler itself: a 500 problem if nothing was answered yet (never a stack trace), then close. */
    private void unexpected(ChannelHandlerContext ctx, RuntimeException error) {
        String errorId = java.util.UUID.randomUUID().toString();
        log.error("Unexpected failure {} on a live connection from {}", errorId, ctx.channel().remoteAddress(), error);
        Exchange exchange = current;
        if (exchange != null) {
            exchange.abort("unexpected failure " + errorId);
        }
        if (exchange != null && !exchange.responseStarted) {
            byte[] body = path.live.problems().bytes(Problems.internal(errorId), pathOf(exchange.request.uri()));
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json").setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void read(ChannelHandlerContext ctx, Object msg) {
        Exchange exchange = current;
        if (exchange != null && !exchange.requestDone) {
            exchange.requestContent(msg);
            return;
        }
        if (exchange != null || !pending.isEmpty()) {
            pending.add(msg); // a pipelined request: answered in order once the one before it is out
            if (pending.size() >= MAX_PIPELINED) {
                ctx.channel().config().setAutoRead(false);
            }
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        ChannelHandlerContext ctx = context();
        if (discarding) {
            if (msg instanceof LastHttpContent) {
                discarding = false;
            }
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof HttpRequest request)) {
            ReferenceCountUtil.release(msg); // content of a request already answered
            return;
        }
        if (request.decoderResult().isFailure()) {
            handOver(msg); // Reactor Netty answers undecodable requests (400, 413, 431) as it always has
            return;
        }
        HttpHeaders headers = request.headers();
        String uri = request.uri();
        HostRouter.Match match = path.live.hosts().match(headers.getAll(HttpHeaderNames.HOST), pathOf(uri));
        if (match.kind() != HostRouter.Kind.LIVE || headers.contains(HttpHeaderNames.UPGRADE) || !(ctx.channel().remoteAddress() instanceof InetSocketAddress)) {
            handOver(msg); // control plane, unknown or malformed host (answered there as before), WebSocket and other upgrades
            return;
        }
        if (!live) {
            live = true;
            ctx.channel().config().setAutoRead(true);
        }
        boolean keepAlive = keepAlive(request);
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.strip())) {
            answer(request, HttpResponseStatus.EXPECTATION_FAILED, Problems.of(HttpStatus.EXPECTATION_FAILED,
                    ProblemTypes.MALFORMED_REQUEST, "Expectation failed", "Only 'Expect: 100-continue' is supported"), null, null, false);
            discardRest(msg);
            return;
        }
        boolean expectsContinue = expect != null && HttpUtil.is100ContinueExpected(request); // HTTP/1.0 ignores it
        path.live.servedByNetty().increment();
        Object prepared = path.live.prepare(match, headers, (InetSocketAddress) ctx.channel().remoteAddress(), uri);
        if (prepared instanceof LiveTraffic.Refusal refusal) {
            // a body that was declared too large is not read at all: answer and close
            boolean tooLarge = refusal.status() == HttpStatus.CONTENT_TOO_LARGE;
            answer(request, HttpResponseStatus.valueOf(refusal.status().value()), refusal.problem(), refusal.decisionId(), null,
                    keepAlive && !tooLarge && !expectsContinue);
            discardRest(msg);
            return;
        }
        LiveTraffic.Plan plan = (LiveTraffic.Plan) prepared;
        if (expectsContinue) {
            // the body goes upstream as it comes, so the client may send it now; Expect itself is not forwarded
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
        Exchange exchange = new Exchange(request, plan, keepAlive);
        current = exchange;
        if (msg instanceof HttpContent content) {
            exchange.requestContent(content); // a full request from an aggregating handler, should one ever run before us
        }
        exchange.attempt();
    }

    /**
     * {@link HttpUtil#isKeepAlive} without its scans of the Connection header's values when there is no such header
     * (the usual case, and a hash lookup).
     */
    private static boolean keepAlive(HttpMessage message) {
        return message.headers().contains(HttpHeaderNames.CONNECTION) ? HttpUtil.isKeepAlive(message)
                : message.protocolVersion().isKeepAliveDefault();
    }

    /** {@link HttpUtil#isTransferEncodingChunked}, answered by a hash lookup when there is no Transfer-Encoding. */
    private static boolean chunked(HttpMessage message) {
        return message.headers().contains(HttpHeaderNames.TRANSFER_ENCODING) && HttpUtil.isTransferEncodingChunked(message);
    }

    private void discardRest(Object msg) {
        discarding = !(msg instanceof LastHttpContent);
        ReferenceCountUtil.release(msg);
    }

    private static String pathOf(String uri) {
        int end = uri.length();
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        return uri.substring(0, end);
    }

    /** Gives this request and the rest of the connection to Reactor Netty, which reads on demand again. */
    private void handOver(Object msg) {
        ChannelHandlerContext ctx = context();
        handedOver = true;
        if (live) {
            ctx.channel().config().setAutoRead(false);
        }
        ctx.fireChannelRead(msg);
        Object next;
        while ((next = pending.poll()) != null) {
            ctx.fireChannelRead(next);
        }
        if (live) {
            ctx.read(); // Reactor Netty reads on demand from here; make sure the next request is read at all
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (handedOver) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange exchange = current;
        if (exchange != null) {
            exchange.clientWritabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Exchange exchange = current;
        if (exchange != null) {
            exchange.abort("client closed the connection");
        }
        Object next;
        while ((next = pending.poll()) != null) {
            ReferenceCountUtil.release(next);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (handedOver) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        log.debug("Live connection {} failed: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    /** The current exchange is over (answered or aborted): the next pipelined request, or read on. */
    private void done(Exchange exchange) {
        if (current != exchange) {
            return;
        }
        current = null;
        ChannelHandlerContext ctx = context();
        if (!ctx.channel().isActive() || lingering) {
            return;
        }
        // what arrived meanwhile goes where channelRead would have sent it: a new request, or the body of the current one
        Object next;
        while (!handedOver && (next = pending.peek()) != null) {
            Exchange now = current;
            if (now == null) {
                pending.poll();
                dispatch(next);
            } else if (!now.requestDone) {
                pending.poll();
                now.requestContent(next);
            } else {
                break;
            }
        }
        if (!handedOver && current == null && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Answers a request the gateway does not forward: problem+json, with decision and region when there were any. */
    private void answer(HttpRequest request, HttpResponseStatus status, ProblemDetail problem, @Nullable String decisionId,
            @Nullable String region, boolean keepAlive) {
        ChannelHandlerContext ctx = context();
        byte[] body = path.live.problems().bytes(problem, pathOf(request.uri()));
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        HttpHeaders headers = response.headers();
        headers.set(HttpHeaderNames.CONTENT_TYPE, "application/problem+json");
        headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (decisionId != null) {
            headers.set(LiveTraffic.DECISION_HEADER, decisionId);
        }
        if (region != null) {
            headers.set(LiveTraffic.REGION_HEADER, region);
        }
        if (!keepAlive) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            closeAfter(ctx.writeAndFlush(response));
        } else {
            if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            ctx.writeAndFlush(response);
        }
    }

    /**
     * Closes the client connection once {@code written} is out, the way nginx's lingering close does: the answer is
     * followed by a FIN, and whatever the client is still sending (the rest of a body the gateway refused, pipelined
     * requests) is read and dropped until the client closes or {@link #LINGER_MILLIS} pass. Closing at once with unread
     * bytes in the socket's receive buffer makes the kernel send a reset, and a client still writing its body then
     * loses the answer (a 413 reads as "connection reset" instead).
     */
    private void closeAfter(ChannelFuture written) {
        lingering = true;
        Object next;
        while ((next = pending.poll()) != null) {
            ReferenceCountUtil.release(next);
        }
        written.addListener((ChannelFuture f) -> {
            Channel channel = f.channel();
            if (!f.isSuccess() || !channel.isActive() || !(channel instanceof DuplexChannel duplex)) {
                channel.close();
                return;
            }
            channel.config().setAutoRead(true);
            duplex.shutdownOutput().addListener(shut -> {
                if (!shut.isSuccess()) {
                    channel.close();
                }
            });
            ScheduledFuture<?> deadline = channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            channel.closeFuture().addListener(closed -> deadline.cancel(false));
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (lingering && evt instanceof ChannelInputShutdownEvent) {
            ctx.close(); // the client has read the answer and closed its side (connections allowing half-closure)
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private ChannelHandlerContext context() {
        ChannelHandlerContext context = ctx;
        if (context == null) {
            throw new IllegalStateException("handler not added");
        }
        return context;
    }

    // ---- one forwarded request ------------------------------------------------------------------------------------------

    /** Why an attempt failed, and whether the next region may be tried for it. */
    private record Failure(Throwable error, String detail, boolean retryable, HttpResponseStatus status) {
    }

    /**
     * One live request from head to the end of its answer: up to two attempts in different regions, each on a pooled
     * upstream channel. All methods run on the connection's event loop.
     */
    final class Exchange implements GenericFutureListener<Future<Channel>> {
        final HttpRequest request;
        final LiveTraffic.Plan plan;
        final boolean keepAlive;
        final boolean idempotent;
        final boolean http10;
        final boolean chunked;
        /** No body declared: the head goes as a full request, whatever empty end the codec delivers later is dropped. */
        final boolean bodyless;
        /** Request body chunks: all of them while the body fits the replay buffer, else only those not sent yet. */
        final ArrayList<HttpContent> chunks = new ArrayList<>(2);
        int sent;
        long bodyBytes;
        boolean replayable = true;
        /** Something of the request went to an upstream (so a body beyond the replay buffer cannot be sent again). */
        boolean everSent;
        boolean requestDone;
        int next;
        int attempts;
        Upstreams.@Nullable Upstream target;
        @Nullable FixedChannelPool pool;
        @Nullable Channel upstream;
        long started;
        /** The current attempt's outcome is recorded on its breaker (or its permission released). */
        boolean settled = true;
        boolean responseStarted;
        boolean upstreamKeepAlive;
        boolean skippingInformational;
        boolean finished;
        @Nullable ScheduledFuture<?> timer;
        long lastActivity;

        Exchange(HttpRequest request, LiveTraffic.Plan plan, boolean keepAlive) {
            this.request = request;
            this.plan = plan;
            this.keepAlive = keepAlive;
            this.idempotent = LiveTraffic.IDEMPOTENT.contains(request.method());
            this.http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
            this.chunked = chunked(request);
            this.bodyless = plan.declaredLength() <= 0 && !chunked;
        }

        // -- request side

        void requestContent(Object msg) {
            if (!(msg instanceof HttpContent content) || finished || bodyless) {
                if (msg instanceof LastHttpContent) {
                    requestDone = true;
                }
                ReferenceCountUtil.release(msg);
                return;
            }
            if (content.decoderResult().isFailure()) {
                content.release();
                tooBad("the request body could not be decoded: " + content.decoderResult().cause());
                return;
            }
            bodyBytes += content.content().readableBytes();
            if (bodyBytes > path.maxBody) {
                content.release();
                tooLarge();
                return;
            }
            chunks.add(content);
            if (content instanceof LastHttpContent) {
                requestDone = true;
            }
            if (replayable && bodyBytes > path.replayLimit) {
                // too big to keep for a retry: what went upstream is dropped, the rest streams without a copy
                replayable = false;
                for (int i = 0; i < sent; i++) {
                    chunks.get(i).release();
                }
                chunks.subList(0, sent).clear();
                sent = 0;
            }
            Channel up = upstream;
            if (up != null) {
                pump(up);
            } else if (!requestDone) {
                context().channel().config().setAutoRead(false); // no upstream yet: hold the client until there is one
            }
        }

        /** Writes the chunks not sent yet to {@code up}. */
        private void pump(Channel up) {
            boolean wrote = false;
            while (sent < chunks.size()) {
                HttpContent chunk = chunks.get(sent);
                if (replayable) {
                    up.write(chunk.retainedDuplicate(), up.voidPromise());
                    sent++;
                } else {
                    chunks.remove(sent);
                    up.write(chunk, up.voidPromise());
                }
                wrote = true;
                everSent = true;
            }
            if (wrote) {
                up.flush();
            }
            if (!requestDone) {
                context().channel().config().setAutoRead(up.isWritable());
            }
        }

        void upstreamWritabilityChanged() {
            Channel up = upstream;
            if (up != null && !requestDone && !finished) {
                context().channel().config().setAutoRead(up.isWritable());
            }
        }

        void clientWritabilityChanged() {
            Channel up = upstream;
            if (up != null && responseStarted && !finished) {
                up.config().setAutoRead(context().channel().isWritable());
            }
        }

        // -- attempts

        /** Sends the request to the next candidate whose circuit lets it through, or answers that none can take it. */
        void attempt() {
            Upstreams.Upstream candidate = null;
            while (next < plan.candidates().size()) {
                Upstreams.Upstream c = plan.candidates().get(next++);
                if (c.breaker.tryAcquirePermission()) {
                    candidate = c;
                    break;
                }
            }
            if (candidate == null) {
                String detail = attempts == 0 ? "every allowed region's circuit is open" : "no other allowed region left";
                failed(new Failure(new IllegalStateException(detail), detail, false, HttpResponseStatus.SERVICE_UNAVAILABLE));
                return;
            }
            if (attempts > 0) {
                path.live.retried().increment();
            }
            attempts++;
            if (replayable) {
                sent = 0; // a retry sends the whole body again
            }
            target = candidate;
            settled = false;
            started = System.nanoTime();
            Map<Upstreams.Upstream, FixedChannelPool> loopPools = pools;
            if (loopPools == null) {
                throw new IllegalStateException("handler not added");
            }
            FixedChannelPool p = path.pools.pool(loopPools, context().channel(), candidate);
            pool = p;
            p.acquire().addListener(this);
        }

        /** The upstream channel is there (or could not be had). */
        @Override
        public void operationComplete(Future<Channel> future) {
            if (finished) {
                if (future.isSuccess()) {
                    release(future.getNow(), false);
                }
                return;
            }
            if (!future.isSuccess()) {
                Throwable cause = future.cause();
                if (cause instanceof java.util.concurrent.TimeoutException) {
                    // the pool's wait for a free connection ran out (max-connections): the region is busy, not broken, so
                    // the attempt is not held against its breaker or its health, and the next region may take the request
                    Upstreams.Upstream t = target();
                    releasePermission();
                    path.live.connectionLimitReached(t.region.value());
                    outcome(new Failure(cause, "every connection to " + t.region + " allowed by max-connections was busy for the connect timeout",
                            true, HttpResponseStatus.SERVICE_UNAVAILABLE));
                    return;
                }
                outcome(new Failure(cause, "connect failed: " + cause.getMessage(), true, HttpResponseStatus.SERVICE_UNAVAILABLE));
                return;
            }
            Channel up = future.getNow();
            UpstreamPools.Link link = up.pipeline().get(UpstreamPools.Link.class);
            link.exchange = this;
            upstream = up;
            Upstreams.Upstream t = target();
            HttpHeaders headers = plan.outgoing();
            headers.set(HttpHeaderNames.HOST, t.authority);
            if (plan.declaredLength() >= 0) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, plan.declaredLength());
            } else if (chunked) {
                headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            // the head is encoded during write, on this loop, so the shared headers may change for a next attempt
            everSent = true;
            lastActivity = System.nanoTime();
            timer = up.eventLoop().schedule(this::checkTimeout, path.responseTimeoutNanos, TimeUnit.NANOSECONDS);
            if (bodyless) {
                up.writeAndFlush(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), plan.pathAndQuery(), Unpooled.EMPTY_BUFFER,
                        headers, EmptyHttpHeaders.INSTANCE), up.voidPromise());
                return;
            }
            up.write(new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), plan.pathAndQuery(), headers), up.voidPromise());
            if (sent == chunks.size()) {
                up.flush(); // no body part yet: the head goes now (a client waiting for 100 Continue sends nothing before)
            }
            pump(up);
        }

        private void checkTimeout() {
            if (finished || upstream == null) {
                return;
            }
            long idle = System.nanoTime() - lastActivity;
            if (idle < path.responseTimeoutNanos) {
                timer = context().channel().eventLoop().schedule(this::checkTimeout, path.responseTimeoutNanos - idle, TimeUnit.NANOSECONDS);
                return;
            }
            dropUpstream();
            outcome(new Failure(new java.util.concurrent.TimeoutException("response timeout"), "timed out waiting for the response",
                    idempotent, HttpResponseStatus.GATEWAY_TIMEOUT));
        }

        // -- response side

        void upstreamRead(Object msg) {
            if (finished) {
                ReferenceCountUtil.release(msg);
                return;
            }
            lastActivity = System.nanoTime();
            if (msg instanceof HttpResponse response) {
                if (response.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    dropUpstream();
                    outcome(new Failure(response.decoderResult().cause(), "malformed response: " + response.decoderResult().cause().getMessage(),
                            false, HttpResponseStatus.BAD_GATEWAY));
                    return;
                }
                head(response);
                if (msg instanceof HttpContent content) {
                    body(content);
                }
                return;
            }
            if (msg instanceof HttpContent content) {
                body(content);
                return;
            }
            ReferenceCountUtil.release(msg);
        }

        private void head(HttpResponse response) {
            int status = response.status().code();
            if (status >= 100 && status < 200) {
                // 1xx: informational answers are not passed on (Expect is answered by the gateway, upgrades go the other path)
                skippingInformational = true;
                return;
            }
            Upstreams.Upstream t = target();
            long took = System.nanoTime() - started;
            if (status >= 500) {
                String detail = "HTTP " + status + " from " + t.region;
                int streak = t.failed(took, new LiveTraffic.UpstreamStatusException(status), detail);
                path.live.health().failed(t, streak, detail);
                settled = true;
                if (idempotent && attempts < 2 && hasNext() && (replayable || !everSent)) {
                    firstFailure = detail;
                    dropUpstream();
                    attempt();
                    skippingInformational = false;
                    return;
                }
            } else {
                t.succeeded(took);
                settled = true;
            }
            upstreamKeepAlive = keepAlive(response);
            boolean upstreamChunked = chunked(response);
            // the upstream's answer goes on as it is, minus hop-by-hop headers (no copy of the headers)
            HttpHeaders out = response.headers();
            String length = out.get(HttpHeaderNames.CONTENT_LENGTH);
            for (CharSequence hop : LiveTraffic.HOP_BY_HOP) {
                out.remove(hop);
            }
            boolean bodyless = request.method().equals(HttpMethod.HEAD) || status == 204 || status == 304;
            boolean clientKeepAlive = keepAlive && requestDone;
            if (length != null) {
                out.set(HttpHeaderNames.CONTENT_LENGTH, length);
            } else if (!bodyless || upstreamChunked) {
                if (http10) {
                    clientKeepAlive = false; // HTTP/1.0 has no chunks: the end of the body is the end of the connection
                } else {
                    out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                }
            }
            out.set(LiveTraffic.REGION_NAME, t.region.value());
            out.set(LiveTraffic.DECISION_NAME, plan.decisionId());
            String cookie = path.live.sessionCookie(plan, t.region.value());
            if (cookie != null) {
                out.add(HttpHeaderNames.SET_COOKIE, cookie);
            }
            if (!clientKeepAlive) {
                out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (http10) {
                out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            closeClientAfter = !clientKeepAlive;
            response.setProtocolVersion(HttpVersion.HTTP_1_1);
            context().write(response);
            responseStarted = true;
        }

        boolean closeClientAfter;

        private void body(HttpContent content) {
            if (skippingInformational || !responseStarted) {
                if (content instanceof LastHttpContent) {
                    skippingInformational = false;
                }
                content.release();
                return;
            }
            ChannelHandlerContext ctx = context();
            boolean last = content instanceof LastHttpContent;
            ctx.write(content, ctx.voidPromise());
            if (last) {
                complete();
            } else if (!ctx.channel().isWritable()) {
                Channel up = upstream;
                if (up != null) {
                    up.config().setAutoRead(false); // resumes in clientWritabilityChanged
                }
            }
        }

        void upstreamReadComplete() {
            if (responseStarted && !finished) {
                context().flush();
            }
        }

        /** The upstream channel closed or failed while this request used it. */
        void upstreamClosed(@Nullable Throwable cause) {
            Channel closed = upstream;
            upstream = null;
            if (closed != null) {
                release(closed, true); // a closed channel still gives its place back to the pool's connection count
            }
            if (finished) {
                return;
            }
            cancelTimer();
            if (responseStarted) {
                log.debug("decision {}: upstream {} closed in the middle of the answer", plan.decisionId(), target().region);
                abort("upstream closed in the middle of the answer");
                context().close();
                return;
            }
            Throwable error = cause != null ? cause : new ClosedChannelException();
            String detail = cause == null ? "connection closed before the response" : "I/O error: " + cause.getMessage();
            outcome(new Failure(error, detail, idempotent, HttpResponseStatus.BAD_GATEWAY));
        }

        /** The answer is complete: recycle the upstream channel, then the next request on this connection. */
        private void complete() {
            finished = true;
            cancelTimer();
            Channel up = upstream;
            upstream = null;
            if (up != null) {
                // reused only when both sides finished this exchange cleanly
                release(up, !(upstreamKeepAlive && requestDone && sent == chunks.size()));
            }
            releaseChunks();
            ChannelHandlerContext ctx = context();
            if (!requestDone) {
                closeAfter(ctx.writeAndFlush(Unpooled.EMPTY_BUFFER)); // the upstream answered before the body was all read
            } else if (closeClientAfter) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.flush();
            }
            done(this);
        }

        // -- failures

        /** Records a failed attempt, then retries in the next region when that is allowed, else answers the failure. */
        private void outcome(Failure failure) {
            Upstreams.Upstream t = target();
            if (!settled) {
                settled = true;
                int streak = t.failed(System.nanoTime() - started, failure.error(), failure.detail());
                path.live.health().failed(t, streak, failure.detail());
            }
            if (log.isDebugEnabled()) {
                log.debug("decision {}: attempt {} in {} failed: {}", plan.decisionId(), attempts, t.region, failure.detail());
            }
            if (failure.retryable() && attempts < 2 && (replayable || !everSent)) {
                firstFailure = failure.detail();
                attempt();
                return;
            }
            failed(failure);
        }

        /** What went wrong with the first region when a second is tried, for the answer and the log. */
        private @Nullable String firstFailure;

        /** No region could answer: 502/503/504 problem+json. */
        private void failed(Failure failure) {
            String detail = firstFailure == null ? failure.detail() : firstFailure + "; then " + failure.detail();
            finished = true;
            cancelTimer();
            dropUpstream();
            releaseChunks();
            String where = plan.zone() == null ? "" : " in zone " + plan.zone();
            log.warn("decision {}: {} {} failed after {} attempt(s): {}", plan.decisionId(), request.method(), plan.pathAndQuery(), attempts,
                    detail);
            HttpStatus status = HttpStatus.valueOf(failure.status().code());
            ProblemDetail problem = Problems.of(status, plan.zone() != null && status == HttpStatus.SERVICE_UNAVAILABLE
                            ? ProblemTypes.RESIDENCY_VIOLATION : ProblemTypes.UNAVAILABLE, "Upstream unavailable",
                    "No region" + where + " could answer (" + detail + "); tried " + attempts + " of " + plan.candidates().size()
                            + " allowed regions");
            Upstreams.Upstream t = target;
            answer(request, failure.status(), problem, plan.decisionId(), t == null ? null : t.region.value(), keepAlive && requestDone);
            if (!requestDone) {
                discarding = true; // the connection closes after the answer; anything still arriving is dropped
            }
            done(this);
        }

        /** A body over the limit: 413 and close, nothing more goes upstream. */
        private void tooLarge() {
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Problems.of(HttpStatus.CONTENT_TOO_LARGE, ProblemTypes.PAYLOAD_TOO_LARGE,
                    "Payload too large", "The request body is larger than " + path.maxBody + " bytes"));
        }

        private void tooBad(String detail) {
            fail(HttpResponseStatus.BAD_REQUEST, Problems.of(HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Bad request", detail));
        }

        /** The client's request is at fault: the attempt is not counted against the region, the connection closes. */
        private void fail(HttpResponseStatus status, ProblemDetail problem) {
            finished = true;
            cancelTimer();
            releasePermission();
            dropUpstream();
            releaseChunks();
            discarding = true;
            if (responseStarted) {
                context().close();
            } else {
                answer(request, status, problem, plan.decisionId(), null, false);
            }
            done(this);
        }

        /** The client went away (or the answer broke off): nothing more is sent anywhere. */
        void abort(String why) {
            if (finished) {
                return;
            }
            log.debug("decision {}: {}", plan.decisionId(), why);
            finished = true;
            cancelTimer();
            releasePermission();
            dropUpstream();
            releaseChunks();
            done(this);
        }

        private void releasePermission() {
            Upstreams.Upstream t = target;
            if (!settled && t != null) {
                settled = true;
                t.breaker.releasePermission();
            }
        }

        private boolean hasNext() {
            for (int i = next; i < plan.candidates().size(); i++) {
                if (plan.candidates().get(i).breaker.getState() != CircuitBreaker.State.OPEN) {
                    return true;
                }
            }
            return false;
        }

        /** Closes the current upstream channel (it carries a request we no longer want an answer to). */
        private void dropUpstream() {
            Channel up = upstream;
            upstream = null;
            cancelTimer();
            if (up != null) {
                release(up, true);
            }
            if (replayable) {
                sent = 0; // the next attempt sends the whole body again
            }
        }

        private void release(Channel up, boolean close) {
            UpstreamPools.Link link = up.pipeline().get(UpstreamPools.Link.class);
            if (link != null) {
                link.exchange = null;
            }
            if (close) {
                up.close();
            } else {
                up.config().setAutoRead(true);
            }
            FixedChannelPool p = pool;
            if (p != null) {
                p.release(up); // a closed channel is dropped by the pool's health check
            }
        }

        private void cancelTimer() {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                timer = null;
                t.cancel(false);
            }
        }

        private void releaseChunks() {
            for (HttpContent chunk : chunks) {
                chunk.release();
            }
            chunks.clear();
            sent = 0;
        }

        private Upstreams.Upstream target() {
            Upstreams.Upstream t = target;
            if (t == null) {
                throw new IllegalStateException("no attempt yet");
            }
            return t;
        }
    }

}
