package io.meridian.stack;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

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
     * Where {@link #freePorts} looks first: above every port the local stack uses (15432-19093) and
     * below the kernel's ephemeral range.
     */
    static final int CHOSEN_LOW = 20_000;

    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");

    /**
     * Picks a port that is free on {@code 127.0.0.1} now. Another process may take it before the
     * caller binds it; see {@link #freePorts(int)} for how that window is kept small.
     *
     * @return a free port
     */
    public static int freePort() {
        return freePorts(1)[0];
    }

    /**
     * Picks {@code count} distinct ports that are free on {@code 127.0.0.1} now.
     *
     * <p>They come from below the kernel's ephemeral range (from {@value #CHOSEN_LOW} up), chosen at
     * random and checked by binding. The kernel's own choice ({@code bind} to port 0) comes from the
     * ephemeral range, where any outgoing connection may take the port between this call and the
     * server's bind: a broker or database starting a few seconds later then fails with "address in
     * use". Where the ephemeral range leaves no room below it, the kernel chooses.
     *
     * @param count how many ports
     * @return the ports, all different
     */
    public static int[] freePorts(int count) {
        int high = ephemeralLow() - 1;
        if (high - CHOSEN_LOW >= 1_000) {
            int[] ports = new int[count];
            int found = 0;
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int attempt = 0; attempt < 1_000 && found < count; attempt++) {
                int port = random.nextInt(CHOSEN_LOW, high + 1);
                if (!contains(ports, found, port) && isFree(port)) {
                    ports[found++] = port;
                }
            }
            if (found == count) {
                return ports;
            }
        }
        return kernelChosen(count);
    }

    /** The lowest port of the kernel's ephemeral range (Linux); 65536 where it cannot be read. */
    static int ephemeralLow() {
        // read by line: Files.readAllBytes trusts the size procfs reports (0) and returns one byte
        try (BufferedReader reader = Files.newBufferedReader(EPHEMERAL_RANGE)) {
            String line = reader.readLine();
            return Integer.parseInt(line == null ? "" : line.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 65_536;
        }
    }

    private static boolean contains(int[] ports, int length, int port) {
        for (int i = 0; i < length; i++) {
            if (ports[i] == port) {
                return true;
            }
        }
        return false;
    }

    private static int[] kernelChosen(int count) {
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
