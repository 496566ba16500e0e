package io.meridian.routing.dns;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

class AnswerCacheTests {

    private final AnswerCache cache = new AnswerCache(64);
    private final byte[] client = {127, 0, 0, 1};

    @Test
    void aCachedReplyComesBackWithTheNewQuerysIdUntilTheGenerationChanges() throws Exception {
        byte[] first = query(0x1111, "api.svc.test.");
        byte[] reply = {0x11, 0x11, (byte) 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 42};
        cache.put(7, first, first.length, client, false, reply);

        byte[] again = query(0x2222, "api.svc.test.");
        byte[] hit = cache.get(7, again, again.length, client, false);
        assertThat(hit).hasSize(reply.length);
        assertThat(hit[0]).isEqualTo((byte) 0x22);
        assertThat(hit[1]).isEqualTo((byte) 0x22);
        assertThat(hit[12]).isEqualTo((byte) 42);

        assertThat(cache.get(8, again, again.length, client, false)).as("tables changed").isNull();
        assertThat(cache.get(7, again, again.length, new byte[] {10, 0, 0, 1}, false)).as("another client").isNull();
        assertThat(cache.get(7, again, again.length, client, true)).as("another transport").isNull();
        byte[] other = query(0x2222, "web.svc.test.");
        assertThat(cache.get(7, other, other.length, client, false)).as("another name").isNull();
    }

    private static byte[] query(int id, String name) throws Exception {
        Message message = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        message.getHeader().setID(id);
        return message.toWire();
    }
}
