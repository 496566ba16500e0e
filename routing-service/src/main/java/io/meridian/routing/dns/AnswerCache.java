package io.meridian.routing.dns;

import java.util.Arrays;

import org.jspecify.annotations.Nullable;

/**
 * Replies already built, keyed by everything a reply depends on except the query id: the query bytes
 * after the id (name, type, class, flags, EDNS options including the client subnet), the client's
 * address and the transport, plus the generation of the routing tables they were built from (any
 * table change makes every entry stale). A hit costs a copy and two id bytes instead of parsing and
 * building a message. Direct-mapped and lock-free: entries are immutable, a collision replaces the
 * older one.
 */
final class AnswerCache {

    private record Entry(long generation, int hash, byte[] key, byte[] reply) {
    }

    private final Entry[] entries;
    private final int mask;

    AnswerCache(int size) {
        int capacity = Integer.highestOneBit(Math.max(16, size));
        this.entries = new Entry[capacity];
        this.mask = capacity - 1;
    }

    /** The reply to {@code query} from {@code client}, with the query's id, if cached for {@code generation}. */
    byte @Nullable [] get(long generation, byte[] query, int length, byte[] client, boolean tcp) {
        byte[] key = key(query, length, client, tcp);
        int hash = Arrays.hashCode(key);
        Entry entry = entries[index(hash)];
        if (entry == null || entry.generation != generation || entry.hash != hash || !Arrays.equals(entry.key, key)) {
            return null;
        }
        byte[] reply = entry.reply.clone();
        reply[0] = query[0];
        reply[1] = query[1];
        return reply;
    }

    /** Remembers {@code reply} to {@code query} (only well-formed queries: at least a header). */
    void put(long generation, byte[] query, int length, byte[] client, boolean tcp, byte[] reply) {
        if (length < 12 || reply.length < 12) {
            return;
        }
        byte[] key = key(query, length, client, tcp);
        int hash = Arrays.hashCode(key);
        entries[index(hash)] = new Entry(generation, hash, key, reply.clone());
    }

    private int index(int hash) {
        return (hash ^ (hash >>> 16)) * 0x9E3779B1 >>> 12 & mask;
    }

    private static byte[] key(byte[] query, int length, byte[] client, boolean tcp) {
        byte[] key = new byte[length - 2 + client.length + 1];
        System.arraycopy(query, 2, key, 0, length - 2);
        System.arraycopy(client, 0, key, length - 2, client.length);
        key[key.length - 1] = (byte) (tcp ? 1 : 0);
        return key;
    }
}
