package io.meridian.backup.storage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.jspecify.annotations.Nullable;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SHA-256 (FIPS 180-4) of up to eight messages at once, one per lane of a 256-bit vector (AVX2 on x86, through the JDK's
 * incubating Vector API): the "multi-buffer" technique. SHA-256 of one message is a chain of 64 dependent rounds per block
 * that no instruction set parallelises; eight independent messages fill a vector's lanes instead. On a CPU without the SHA
 * extensions this computes about four times the bytes per CPU-second of the JDK's own SHA-256 (measured in
 * docs/benchmarks.md), which is what a restore spends most of its CPU on.
 *
 * <p>Only reached through {@link PartDigests}, which loads this class only when the {@code jdk.incubator.vector} module is
 * present and then checks it against the JDK's {@code MessageDigest} before using it.
 */
final class Sha256Lanes implements PartDigests.Engine {

    private static final VectorSpecies<Integer> SPECIES = IntVector.SPECIES_256;
    static final int LANES = SPECIES.length();
    private static final VarHandle BIG_ENDIAN_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final int[] K = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    private static final int[] INITIAL = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

    Sha256Lanes() {
    }

    @Override
    public int lanes() {
        return LANES;
    }

    @Override
    public @Nullable String unsupported() {
        // without hardware vectors of this width the Vector API runs lane by lane in Java: far slower than MessageDigest
        int preferred = IntVector.SPECIES_PREFERRED.vectorBitSize();
        return preferred < SPECIES.vectorBitSize() ? "this CPU's vectors have " + preferred + " bits, the lanes need "
                + SPECIES.vectorBitSize() : null;
    }

    @Override
    public String name() {
        return LANES + "-lane SHA-256 (jdk.incubator.vector, " + SPECIES.vectorBitSize() + "-bit vectors)";
    }

    /**
     * The SHA-256 digests of the first {@code length} bytes of each of {@code messages[0 .. count - 1]} (all the same length;
     * {@code count} at most {@link #LANES}).
     */
    @Override
    public byte[][] digest(byte[][] messages, int count, int length) {
        if (count < 1 || count > LANES) {
            throw new IllegalArgumentException("count " + count + " is not 1.." + LANES);
        }
        // word-major state: state[word * LANES + lane]; unused lanes repeat message 0 and are dropped at the end
        int[] state = new int[8 * LANES];
        for (int word = 0; word < 8; word++) {
            for (int lane = 0; lane < LANES; lane++) {
                state[word * LANES + lane] = INITIAL[word];
            }
        }
        byte[][] lanes = new byte[LANES][];
        for (int lane = 0; lane < LANES; lane++) {
            lanes[lane] = messages[lane < count ? lane : 0];
        }
        int[] schedule = new int[64 * LANES];
        int blocks = length / 64;
        for (int block = 0; block < blocks; block++) {
            compress(state, lanes, block * 64, schedule);
        }
        // the last partial block and the padding, one lane at a time (one or two blocks)
        byte[][] digests = new byte[count][];
        int[] h = new int[8];
        for (int lane = 0; lane < count; lane++) {
            for (int word = 0; word < 8; word++) {
                h[word] = state[word * LANES + lane];
            }
            finish(h, messages[lane], blocks * 64, length);
            byte[] digest = new byte[32];
            for (int word = 0; word < 8; word++) {
                BIG_ENDIAN_INT.set(digest, word * 4, h[word]);
            }
            digests[lane] = digest;
        }
        return digests;
    }

    /** One 64-byte block at {@code offset} of every lane's message. */
    private static void compress(int[] state, byte[][] lanes, int offset, int[] w) {
        for (int lane = 0; lane < LANES; lane++) {
            byte[] message = lanes[lane];
            for (int t = 0; t < 16; t++) {
                w[t * LANES + lane] = (int) BIG_ENDIAN_INT.get(message, offset + 4 * t);
            }
        }
        IntVector a = IntVector.fromArray(SPECIES, state, 0);
        IntVector b = IntVector.fromArray(SPECIES, state, LANES);
        IntVector c = IntVector.fromArray(SPECIES, state, 2 * LANES);
        IntVector d = IntVector.fromArray(SPECIES, state, 3 * LANES);
        IntVector e = IntVector.fromArray(SPECIES, state, 4 * LANES);
        IntVector f = IntVector.fromArray(SPECIES, state, 5 * LANES);
        IntVector g = IntVector.fromArray(SPECIES, state, 6 * LANES);
        IntVector h = IntVector.fromArray(SPECIES, state, 7 * LANES);
        IntVector a0 = a;
        IntVector b0 = b;
        IntVector c0 = c;
        IntVector d0 = d;
        IntVector e0 = e;
        IntVector f0 = f;
        IntVector g0 = g;
        IntVector h0 = h;
        for (int t = 0; t < 64; t++) {
            IntVector wt;
            if (t < 16) {
                wt = IntVector.fromArray(SPECIES, w, t * LANES);
            } else {
                IntVector w15 = IntVector.fromArray(SPECIES, w, (t - 15) * LANES);
                IntVector w2 = IntVector.fromArray(SPECIES, w, (t - 2) * LANES);
                IntVector s0 = w15.lanewise(VectorOperators.ROR, 7).lanewise(VectorOperators.XOR, w15.lanewise(VectorOperators.ROR, 18))
                        .lanewise(VectorOperators.XOR, w15.lanewise(VectorOperators.LSHR, 3));
                IntVector s1 = w2.lanewise(VectorOperators.ROR, 17).lanewise(VectorOperators.XOR, w2.lanewise(VectorOperators.ROR, 19))
                        .lanewise(VectorOperators.XOR, w2.lanewise(VectorOperators.LSHR, 10));
                wt = IntVector.fromArray(SPECIES, w, (t - 16) * LANES).add(s0).add(IntVector.fromArray(SPECIES, w, (t - 7) * LANES)).add(s1);
                wt.intoArray(w, t * LANES);
            }
            IntVector sigma1 = e.lanewise(VectorOperators.ROR, 6).lanewise(VectorOperators.XOR, e.lanewise(VectorOperators.ROR, 11))
                    .lanewise(VectorOperators.XOR, e.lanewise(VectorOperators.ROR, 25));
            IntVector choose = e.and(f).lanewise(VectorOperators.XOR, e.lanewise(VectorOperators.NOT).and(g));
            IntVector t1 = h.add(sigma1).add(choose).add(K[t]).add(wt);
            IntVector sigma0 = a.lanewise(VectorOperators.ROR, 2).lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.ROR, 13))
                    .lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.ROR, 22));
            IntVector majority = a.and(b).lanewise(VectorOperators.XOR, a.and(c)).lanewise(VectorOperators.XOR, b.and(c));
            h = g;
            g = f;
            f = e;
            e = d.add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.add(sigma0.add(majority));
        }
        a.add(a0).intoArray(state, 0);
        b.add(b0).intoArray(state, LANES);
        c.add(c0).intoArray(state, 2 * LANES);
        d.add(d0).intoArray(state, 3 * LANES);
        e.add(e0).intoArray(state, 4 * LANES);
        f.add(f0).intoArray(state, 5 * LANES);
        g.add(g0).intoArray(state, 6 * LANES);
        h.add(h0).intoArray(state, 7 * LANES);
    }

    /** Hashes {@code message[from .. length)} (less than one block) and the padding into {@code h}. */
    private static void finish(int[] h, byte[] message, int from, int length) {
        byte[] tail = new byte[128];
        int rest = length - from;
        System.arraycopy(message, from, tail, 0, rest);
        tail[rest] = (byte) 0x80;
        int total = rest + 9 <= 64 ? 64 : 128;
        long bits = (long) length * 8;
        for (int i = 0; i < 8; i++) {
            tail[total - 1 - i] = (byte) (bits >>> (8 * i));
        }
        int[] w = new int[64];
        for (int offset = 0; offset < total; offset += 64) {
            compressOne(h, tail, offset, w);
        }
    }

    private static void compressOne(int[] h, byte[] block, int offset, int[] w) {
        for (int t = 0; t < 16; t++) {
            w[t] = (int) BIG_ENDIAN_INT.get(block, offset + 4 * t);
        }
        for (int t = 16; t < 64; t++) {
            int s0 = Integer.rotateRight(w[t - 15], 7) ^ Integer.rotateRight(w[t - 15], 18) ^ (w[t - 15] >>> 3);
            int s1 = Integer.rotateRight(w[t - 2], 17) ^ Integer.rotateRight(w[t - 2], 19) ^ (w[t - 2] >>> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        int a = h[0];
        int b = h[1];
        int c = h[2];
        int d = h[3];
        int e = h[4];
        int f = h[5];
        int g = h[6];
        int hh = h[7];
        for (int t = 0; t < 64; t++) {
            int t1 = hh + (Integer.rotateRight(e, 6) ^ Integer.rotateRight(e, 11) ^ Integer.rotateRight(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
            int t2 = (Integer.rotateRight(a, 2) ^ Integer.rotateRight(a, 13) ^ Integer.rotateRight(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
    }
}
