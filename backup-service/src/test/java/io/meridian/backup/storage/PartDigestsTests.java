package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The vector-lane SHA-256 a restore hashes its parts with: the same digests as the JDK's {@code MessageDigest} for every
 * length where the padding changes and for any number of messages, and the fallback to {@code MessageDigest} when the lanes
 * cannot be used. The tests run with {@code --add-modules jdk.incubator.vector} (this module's surefire configuration).
 */
class PartDigestsTests {

    private static byte[] jdk(byte[] message, int length) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        digest.update(message, 0, length);
        return digest.digest();
    }

    @Test
    void lanesAreUsedWhenTheVectorModuleIsPresentAndSayWhichEngineHashes() {
        assertThat(ModuleLayer.boot().findModule(PartDigests.MODULE)).as("surefire starts the tests with --add-modules").isPresent();
        assertThat(PartDigests.lanes()).isNotNull();
        assertThat(PartDigests.description()).contains("8-lane SHA-256").contains("self-test against MessageDigest passed");
    }

    @Test
    void knownAnswers() {
        Sha256Lanes lanes = new Sha256Lanes();
        byte[][] messages = {"abc".getBytes(StandardCharsets.US_ASCII), "abc".getBytes(StandardCharsets.US_ASCII)};
        byte[][] digests = lanes.digest(messages, 2, 3);
        assertThat(Hex.hex(digests[0])).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(Hex.hex(digests[1])).isEqualTo(Hex.hex(digests[0]));
        byte[] twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".getBytes(StandardCharsets.US_ASCII);
        assertThat(Hex.hex(lanes.digest(new byte[][] {twoBlocks}, 1, twoBlocks.length)[0]))
                .isEqualTo("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        assertThat(Hex.hex(lanes.digest(new byte[][] {new byte[0]}, 1, 0)[0]))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void sameDigestsAsMessageDigestForEveryCountAndPaddingBoundary() throws Exception {
        Sha256Lanes lanes = new Sha256Lanes();
        Random random = new Random(11);
        int[] lengths = {0, 1, 54, 55, 56, 57, 63, 64, 65, 111, 119, 120, 127, 128, 129, 4096, 100_003, 1 << 20};
        for (int length : lengths) {
            for (int count = 1; count <= Sha256Lanes.LANES; count++) {
                byte[][] messages = new byte[count][];
                for (int i = 0; i < count; i++) {
                    // buffers longer than the message: only the first `length` bytes count, as with part buffers
                    messages[i] = new byte[length + random.nextInt(100)];
                    random.nextBytes(messages[i]);
                }
                byte[][] digests = lanes.digest(messages, count, length);
                assertThat(digests.length).isEqualTo(count);
                for (int i = 0; i < count; i++) {
                    assertThat(digests[i]).as("message %d of %d, %d bytes", i, count, length).isEqualTo(jdk(messages[i], length));
                }
            }
        }
    }

    @Test
    void oneChangedBitChangesOnlyThatMessagesDigest() throws Exception {
        Sha256Lanes lanes = new Sha256Lanes();
        byte[][] messages = new byte[8][300_000];
        Random random = new Random(5);
        for (byte[] m : messages) {
            random.nextBytes(m);
        }
        byte[][] before = lanes.digest(messages, 8, 300_000);
        messages[5][123_456] ^= 0x10;
        byte[][] after = lanes.digest(messages, 8, 300_000);
        for (int i = 0; i < 8; i++) {
            if (i == 5) {
                assertThat(after[i]).isNotEqualTo(before[i]).isEqualTo(jdk(messages[5], 300_000));
            } else {
                assertThat(after[i]).isEqualTo(before[i]);
            }
        }
    }

    @Test
    void refusesMoreMessagesThanLanes() {
        Sha256Lanes lanes = new Sha256Lanes();
        assertThatThrownBy(() -> lanes.digest(new byte[9][64], 9, 64)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> lanes.digest(new byte[1][64], 0, 64)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void selfTestCatchesAnEngineThatIsWrong() {
        PartDigests.Engine wrong = new PartDigests.Engine() {
            private final Sha256Lanes real = new Sha256Lanes();

            @Override
            public int lanes() {
                return real.lanes();
            }

            @Override
            public String name() {
                return "wrong";
            }

            @Override
            public @Nullable String unsupported() {
                return null;
            }

            @Override
            public byte[][] digest(byte[][] messages, int count, int length) {
                byte[][] digests = real.digest(messages, count, length);
                if (length == 56) {
                    digests[count - 1][0] ^= 1; // a padding bug: two-block padding of the last lane
                }
                return digests;
            }
        };
        assertThat(PartDigests.selfTest(wrong)).isEqualTo("message 0 of 1, 56 bytes");
        assertThat(PartDigests.selfTest(new Sha256Lanes())).isNull();
    }
}
