package io.meridian.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * TCP ports on the loopback address {@code 127.0.0.1}, where every component of the local stack and
 * of the tests listens.
 */
public final class Ports {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private Ports() {
    }

    /**
     * Tells whether a server could bind {@code 127.0.0.1:port} right now.
     *
     * @param port the port, 1 to 65535
     * @return {@code true} if nothing listens on it (on loopback or on the wildcard address)
     */
    public static boolean isFree(int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("Not a TCP port: " + port);
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(LOOPBACK, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Picks a port that is free on {@code 127.0.0.1} now (the kernel's choice). Another process may
     * take it before the caller binds it; that window is small.
     *
     * @return a free port
     */
    public static int freePort() {
        return freePorts(1)[0];
    }

    /**
     * Picks {@code count} distinct ports that are free on {@code 127.0.0.1} now.
     *
     * @param count how many ports
     * @return the ports, all different
     */
    public static int[] freePorts(int count) {
        List<ServerSocket> held = new ArrayList<>(count);
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                held.add(socket);
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(LOOPBACK, 0));
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not find a free port on 127.0.0.1", e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
            }
        }
    }
}
