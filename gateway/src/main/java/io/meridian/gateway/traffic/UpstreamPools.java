package io.meridian.gateway.traffic;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import org.jspecify.annotations.Nullable;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;

/**
 * Keep-alive connections to the regions' upstreams for the Netty data path, pooled per event loop: a request's upstream
 * channel runs on the event loop of its client connection, so forwarding never hops threads and a pool is only ever
 * touched from its own loop. Netty's {@link FixedChannelPool} does the pooling (last used first, closed channels dropped
 * on acquire and release, at most {@code max-connections} per upstream split evenly over the event loops, a request over
 * the limit waiting up to the connect timeout for a connection to come free, then failing with
 * {@link java.util.concurrent.TimeoutException}); this class only keeps one pool per (event loop, upstream) and sets up
 * each new channel:
 * TLS for {@code https} upstreams, Netty's HTTP client codec, an idle timer that closes a pooled connection before the
 * usual upstream keep-alive timeouts would, and the {@link Link} that hands the channel's events to the request using it.
 *
 * <p>Upstream host names are resolved by Netty's asynchronous DNS resolver on the same loop ({@link UpstreamDns}), never
 * by the JDK's blocking lookup, which would stall every connection of the loop.
 */
final class UpstreamPools {

    /** Closes a pooled connection idle this long, below common upstream keep-alive timeouts (nginx 75 s, Node 5 s is the outlier). */
    static final Duration IDLE = Duration.ofSeconds(20);

    private final int connectTimeoutMillis;
    private final int maxConnections;
    private final Map<EventLoop, Map<Upstreams.Upstream, FixedChannelPool>> byLoop = new ConcurrentHashMap<>();
    private final List<InetSocketAddress> dnsServers;
    private volatile @Nullable SslContext tls;
    private volatile @Nullable DnsAddressResolverGroup dns;

    /** {@code dnsServers}: empty for the system's resolvers. */
    UpstreamPools(Duration connectTimeout, int maxConnections, List<InetSocketAddress> dnsServers) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max-connections must be at least 1, not " + maxConnections);
        }
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.maxConnections = maxConnections;
        this.dnsServers = List.copyOf(dnsServers);
    }

    /** One resolver group for all loops (it keeps a resolver per loop), made with the first loop group seen. */
    private DnsAddressResolverGroup dns(Channel inbound) {
        DnsAddressResolverGroup group = dns;
        if (group == null) {
            synchronized (this) {
                group = dns;
                if (group == null) {
                    group = UpstreamDns.resolvers(dnsServers, inbound.eventLoop().parent(), connectTimeoutMillis);
                    dns = group;
                }
            }
        }
        return group;
    }

    /** The pools of one event loop; the map is only read and written on that loop. */
    Map<Upstreams.Upstream, FixedChannelPool> of(EventLoop loop) {
        return byLoop.computeIfAbsent(loop, l -> new HashMap<>());
    }

    /** Connections to one upstream that one event loop may hold: {@code max-connections} over the loops, rounded up. */
    int perLoop(EventLoop loop) {
        int loops = 0;
        for (var ignored : loop.parent()) {
            loops++;
        }
        return Math.max(1, (maxConnections + Math.max(1, loops) - 1) / Math.max(1, loops));
    }

    /** The pool for {@code upstream} on {@code inbound}'s event loop, with channels of {@code inbound}'s transport. */
    FixedChannelPool pool(Map<Upstreams.Upstream, FixedChannelPool> pools, Channel inbound, Upstreams.Upstream upstream) {
        FixedChannelPool pool = pools.get(upstream);
        if (pool == null) {
            // The client channel class is the inbound child channel's own class (EpollSocketChannel with the native transport
            // Reactor Netty chose, NioSocketChannel otherwise): both are also client channels, and only a channel of the
            // loop's own transport can register on it.
            Bootstrap bootstrap = new Bootstrap().group(inbound.eventLoop())
                    .channelFactory(new ReflectiveChannelFactory<>(inbound.getClass()))
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .resolver(dns(inbound))
                    .remoteAddress(InetSocketAddress.createUnresolved(upstream.host, upstream.port));
            // acquire, release and the wait queue run on the bootstrap's group, which is this very loop: no thread hop
            pool = new FixedChannelPool(bootstrap, new Setup(upstream), ChannelHealthChecker.ACTIVE, FixedChannelPool.AcquireTimeoutAction.FAIL,
                    connectTimeoutMillis, perLoop(inbound.eventLoop()), Integer.MAX_VALUE, true, true);
            pools.put(upstream, pool);
        }
        return pool;
    }

    void close() {
        // closeAsync: close() would wait on the loops, which may already be stopping
        byLoop.values().forEach(pools -> pools.values().forEach(FixedChannelPool::closeAsync));
        DnsAddressResolverGroup group = dns;
        if (group != null) {
            group.close();
        }
    }

    private SslContext tls() {
        SslContext context = tls;
        if (context == null) {
            try {
                context = SslContextBuilder.forClient().build();
            } catch (SSLException e) {
                throw new IllegalStateException("no TLS client context", e);
            }
            tls = context;
        }
        return context;
    }

    private final class Setup extends AbstractChannelPoolHandler {
        private final Upstreams.Upstream upstream;

        Setup(Upstreams.Upstream upstream) {
            this.upstream = upstream;
        }

        @Override
        public void channelCreated(Channel channel) {
            ChannelPipeline pipeline = channel.pipeline();
            if (upstream.tls) {
                pipeline.addLast("tls", tls().newHandler(channel.alloc(), upstream.host, upstream.port));
            }
            // response heads up to 32 KiB (cookies), no chunk aggregation: bodies stream through as they arrive
            pipeline.addLast("codec", new HttpClientCodec(4096, 32 * 1024, 16 * 1024, false, true));
            // reader idle, not all idle: an all-idle timer hooks a promise and a listener onto every write; a pooled channel
            // is idle when nothing arrives, and one in use is watched by its request's response timeout
            pipeline.addLast("idle", new IdleStateHandler(IDLE.toMillis(), 0, 0, TimeUnit.MILLISECONDS));
            pipeline.addLast("link", new Link());
        }
    }

    /** Hands an upstream channel's events to the request currently using it; closes the channel on anything while idle. */
    static final class Link extends ChannelInboundHandlerAdapter {
        @Nullable LiveConnection.Exchange exchange;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            LiveConnection.Exchange current = exchange;
            if (current != null) {
                current.upstreamRead(msg);
            } else {
                ReferenceCountUtil.release(msg);
                ctx.close(); // an answer nobody asked for: the connection cannot be trusted any more
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            LiveConnection.Exchange current = exchange;
            if (current != null) {
                current.upstreamReadComplete();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            LiveConnection.Exchange current = exchange;
            if (current != null) {
                current.upstreamWritabilityChanged();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            LiveConnection.Exchange current = exchange;
            if (current != null) {
                exchange = null;
                current.upstreamClosed(null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LiveConnection.Exchange current = exchange;
            exchange = null;
            ctx.close();
            if (current != null) {
                current.upstreamClosed(cause);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof IdleStateEvent && exchange == null) {
                ctx.close();
            }
        }
    }
}
