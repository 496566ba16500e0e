package io.meridian.gateway.traffic;

import io.meridian.gateway.config.TrafficProperties;
import io.netty.channel.ChannelPipeline;
import reactor.netty.NettyPipeline;

/**
 * Installs the Netty live-traffic path ({@link LiveConnection}) into each HTTP/1.1 connection of the Reactor Netty
 * server, right after its HTTP codec, and holds what all those connections share: the decision code of
 * {@link LiveTraffic}, the upstream pools, the limits.
 */
public final class FastPath implements AutoCloseable {

    final LiveTraffic live;
    final UpstreamPools pools;
    final long maxBody;
    final long replayLimit;
    final long responseTimeoutNanos;

    public FastPath(LiveTraffic live, TrafficProperties properties) {
        this.live = live;
        this.pools = new UpstreamPools(properties.connectTimeout(), properties.maxConnections(),
                properties.dnsServerAddresses());
        this.maxBody = properties.maxBodySize().toBytes();
        this.replayLimit = Math.min(maxBody, properties.replayBufferSize().toBytes());
        this.responseTimeoutNanos = properties.responseTimeout().toNanos();
    }

    /** Adds the live-traffic handler after the HTTP/1.1 server codec; a pipeline without one (HTTP/2) is left alone. */
    public void install(ChannelPipeline pipeline) {
        if (pipeline.get(NettyPipeline.HttpCodec) != null && pipeline.get(LiveConnection.class) == null) {
            pipeline.addAfter(NettyPipeline.HttpCodec, "meridian.liveTraffic", new LiveConnection(this));
        }
    }

    @Override
    public void close() {
        pools.close();
    }
}
