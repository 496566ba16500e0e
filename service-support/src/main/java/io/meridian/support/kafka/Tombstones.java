package io.meridian.support.kafka;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;

/**
 * CloudEvents (de)serializers that pass tombstones through: a null value is how a compacted topic
 * forgets a key, and the CloudEvents Kafka binding has no notion of it.
 */
public final class Tombstones {

    private Tombstones() {
    }

    /** Serializes CloudEvents in binary mode; a null event becomes a null value. */
    public static Serializer<CloudEvent> serializer() {
        CloudEventSerializer delegate = new CloudEventSerializer();
        return new Serializer<>() {
            @Override
            public byte[] serialize(String topic, CloudEvent event) {
                return event == null ? null : delegate.serialize(topic, event);
            }

            @Override
            public byte[] serialize(String topic, Headers headers, CloudEvent event) {
                return event == null ? null : delegate.serialize(topic, headers, event);
            }
        };
    }

    /** Deserializes CloudEvents; a null value (tombstone) becomes a null event. */
    public static Deserializer<CloudEvent> deserializer() {
        CloudEventDeserializer delegate = new CloudEventDeserializer();
        return new Deserializer<>() {
            @Override
            public CloudEvent deserialize(String topic, byte[] data) {
                throw new UnsupportedOperationException("CloudEvents need the record headers");
            }

            @Override
            public CloudEvent deserialize(String topic, Headers headers, byte[] data) {
                return data == null ? null : delegate.deserialize(topic, headers, data);
            }
        };
    }
}
