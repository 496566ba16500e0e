package io.meridian.gateway.traffic;

import java.net.InetSocketAddress;
import java.util.List;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import reactor.netty.http.HttpResources;

/**
 * Netty's asynchronous DNS resolver for upstream host names, for both data paths: answers cached for their TTL,
 * {@code /etc/hosts} read first, IP literals never looked up, and no lookup ever blocks an event loop.
 */
public final class UpstreamDns {

    private UpstreamDns() {
    }

    /**
     * A resolver group (one resolver per event loop) whose UDP and TCP channels are of {@code loops}' own transport (epoll,
     * NIO, ...), as Reactor Netty's loop resources name them; {@code servers} empty: the system's ({@code /etc/resolv.conf}).
     */
    public static DnsAddressResolverGroup resolvers(List<InetSocketAddress> servers, EventLoopGroup loops, int queryTimeoutMillis) {
        DnsNameResolverBuilder builder = new DnsNameResolverBuilder()
                .datagramChannelType(HttpResources.get().onChannelClass(DatagramChannel.class, loops))
                .socketChannelType(HttpResources.get().onChannelClass(SocketChannel.class, loops))
                .queryTimeoutMillis(Math.max(100, queryTimeoutMillis))
                .nameServerProvider(servers.isEmpty() ? DnsServerAddressStreamProviders.platformDefault()
                        : new SequentialDnsServerAddressStreamProvider(servers));
        return new DnsAddressResolverGroup(builder);
    }
}
