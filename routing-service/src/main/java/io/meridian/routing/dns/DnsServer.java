package io.meridian.routing.dns;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The authoritative DNS endpoint: one UDP socket read by a few platform threads, and a TCP listener
 * (RFC 1035 two-byte length framing, several queries per connection, idle connections closed) with a
 * virtual thread per connection. Every query goes to the {@link DnsResponder}; a query that makes it
 * throw is answered with nothing (and counted), never by stopping the server.
 */
public final class DnsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
    private static final int MAX_TCP_CONNECTIONS = 256;

    private final DnsResponder responder;
    private final DatagramChannel udp;
    private final @Nullable ServerSocket tcp;
    private final Duration tcpIdleTimeout;
    private final List<Thread> threads = new ArrayList<>();
    private final Semaphore connections = new Semaphore(MAX_TCP_CONNECTIONS);
    private final Counter queries;
    private final Counter failures;
    private final AnswerCache cache = new AnswerCache(4096);
    private final java.util.function.LongSupplier generation;
    private volatile boolean running = true;

    private DnsServer(DnsResponder responder, java.util.function.LongSupplier generation, DatagramChannel udp, @Nullable ServerSocket tcp,
            Duration tcpIdleTimeout, MeterRegistry meters) {
        this.responder = responder;
        this.generation = generation;
        this.udp = udp;
        this.tcp = tcp;
        this.tcpIdleTimeout = tcpIdleTimeout;
        this.queries = Counter.builder("meridian.routing.dns.queries").description("DNS queries received").register(meters);
        this.failures = Counter.builder("meridian.routing.dns.failures").description("DNS queries that could not be answered")
                .register(meters);
    }

    /**
     * Binds UDP (and TCP) on {@code address}:{@code port} and starts serving with {@code udpThreads} UDP threads.
     *
     * @param generation changes whenever any answer may change (the routing tables' generation); replies are cached per generation
     */
    public static DnsServer start(DnsResponder responder, java.util.function.LongSupplier generation, InetAddress address, int port,
            int udpThreads, boolean withTcp, Duration tcpIdleTimeout, MeterRegistry meters) {
        DatagramChannel udp = null;
        try {
            udp = DatagramChannel.open();
            udp.bind(new InetSocketAddress(address, port));
            ServerSocket tcp = null;
            if (withTcp) {
                tcp = new ServerSocket();
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(address, port), 128);
            }
            DnsServer server = new DnsServer(responder, generation, udp, tcp, tcpIdleTimeout, meters);
            for (int i = 0; i < Math.max(1, udpThreads); i++) {
                server.threads.add(Thread.ofPlatform().name("dns-udp-" + i).daemon().start(server::serveUdp));
            }
            if (tcp != null) {
                server.threads.add(Thread.ofPlatform().name("dns-tcp-accept").daemon().start(server::acceptTcp));
            }
            log.info("DNS: authoritative for {} on {}:{} (UDP{})", responder.zone(), address.getHostAddress(), port, withTcp ? " and TCP" : "");
            return server;
        } catch (IOException e) {
            if (udp != null) {
                try {
                    udp.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw new UncheckedIOException("cannot bind the DNS endpoint on " + address.getHostAddress() + ":" + port, e);
        }
    }

    /** The UDP port bound. */
    public int port() {
        try {
            return ((InetSocketAddress) udp.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void serveUdp() {
        ByteBuffer in = ByteBuffer.allocate(65535);
        while (running) {
            InetSocketAddress from;
            try {
                in.clear();
                from = (InetSocketAddress) udp.receive(in);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (running) {
                    log.debug("DNS UDP receive failed: {}", e.getMessage());
                }
                continue;
            }
            queries.increment();
            try {
                byte[] reply = answer(in.array(), in.position(), from.getAddress(), false);
                if (reply != null) {
                    udp.send(ByteBuffer.wrap(reply), from);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                failures.increment();
                log.debug("DNS UDP query from {} failed", from, e);
            }
        }
    }

    private byte @Nullable [] answer(byte[] query, int length, InetAddress client, boolean tcp) {
        long current = generation.getAsLong();
        byte[] address = client.getAddress();
        byte[] reply = cache.get(current, query, length, address, tcp);
        if (reply == null) {
            reply = responder.respond(query, length, client, tcp);
            if (reply != null) {
                cache.put(current, query, length, address, tcp, reply);
            }
        }
        return reply;
    }

    private void acceptTcp() {
        while (running && tcp != null) {
            Socket socket;
            try {
                socket = tcp.accept();
            } catch (IOException e) {
                if (running) {
                    log.debug("DNS TCP accept failed: {}", e.getMessage());
                }
                continue;
            }
            if (!connections.tryAcquire()) {
                closeQuietly(socket);
                continue;
            }
            Thread.ofVirtual().name("dns-tcp").start(() -> {
                try {
                    serveTcp(socket);
                } finally {
                    connections.release();
                    closeQuietly(socket);
                }
            });
        }
    }

    private void serveTcp(Socket socket) {
        try {
            socket.setSoTimeout((int) tcpIdleTimeout.toMillis());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (running) {
                int length;
                try {
                    length = in.readUnsignedShort();
                } catch (EOFException | SocketTimeoutException e) {
                    return;
                }
                byte[] query = new byte[length];
                in.readFully(query);
                queries.increment();
                byte[] reply;
                try {
                    reply = answer(query, length, socket.getInetAddress(), true);
                } catch (RuntimeException e) {
                    failures.increment();
                    log.debug("DNS TCP query from {} failed", socket.getRemoteSocketAddress(), e);
                    return;
                }
                if (reply == null) {
                    return;
                }
                byte[] framed = new byte[reply.length + 2];
                framed[0] = (byte) (reply.length >>> 8);
                framed[1] = (byte) reply.length;
                System.arraycopy(reply, 0, framed, 2, reply.length);
                out.write(framed);
                out.flush();
            }
        } catch (IOException e) {
            log.debug("DNS TCP connection from {} ended: {}", socket.getRemoteSocketAddress(), e.getMessage());
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            udp.close();
        } catch (IOException e) {
            log.debug("closing DNS UDP failed", e);
        }
        if (tcp != null) {
            try {
                tcp.close();
            } catch (IOException e) {
                log.debug("closing DNS TCP failed", e);
            }
        }
        for (Thread thread : threads) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
