package io.meridian.common.events;

import java.net.URI;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.regex.Pattern;

import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.data.BytesCloudEventData;
import io.meridian.common.time.HlcTimestamp;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The CloudEvents envelope every Meridian event travels in: JSON data, a versioned {@code type}
 * such as {@code meridian.region.status-changed.v1}, {@code subject} = the entity or operation id,
 * and two extensions that make consumers idempotent: {@value #VERSION} (per-key version, increasing)
 * and {@value #HLC} (hybrid logical time of the change).
 */
public final class MeridianEvents {

    /** Extension attribute: version of the entity this event describes, increasing per key. */
    public static final String VERSION = "entityversion";
    /** Extension attribute: HLC timestamp of the change, {@code <millis>.<counter>}. */
    public static final String HLC = "hlc";
    /** Media type of the data. */
    public static final String JSON = "application/json";

    private static final Pattern TYPE = Pattern.compile("meridian\\.[a-z]+(-[a-z]+)*\\.[a-z]+(-[a-z]+)*\\.v[1-9][0-9]*");
    private static final ObjectMapper MAPPER = JsonMapper.builder().findAndAddModules().build();

    private MeridianEvents() {
    }

    /**
     * Builds an event.
     *
     * @param type    {@code meridian.<area>.<what-happened>.v<n>}
     * @param source  the producing service, as a URI ({@code /meridian/region-service})
     * @param subject the entity or operation id, also the Kafka key
     * @param version the entity's version after the change (per key, increasing)
     * @param hlc     when the change happened
     * @param data    the payload, serialised as JSON
     */
    public static CloudEvent event(String type, URI source, String subject, long version, HlcTimestamp hlc, Object data) {
        requireType(type);
        if (subject.isBlank()) {
            throw new IllegalArgumentException("subject must not be blank");
        }
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative");
        }
        return CloudEventBuilder.v1()
                .withId(UUID.randomUUID().toString())
                .withType(type)
                .withSource(source)
                .withSubject(subject)
                .withTime(OffsetDateTime.ofInstant(java.time.Instant.ofEpochMilli(hlc.physicalMillis()), ZoneOffset.UTC))
                .withDataContentType(JSON)
                .withExtension(VERSION, version)
                .withExtension(HLC, hlc.toString())
                .withData(BytesCloudEventData.wrap(MAPPER.writeValueAsBytes(data)))
                .build();
    }

    /** Checks that {@code type} follows {@code meridian.<area>.<what-happened>.v<n>}. */
    public static String requireType(String type) {
        if (!TYPE.matcher(type).matches()) {
            throw new IllegalArgumentException("event type must look like 'meridian.region.status-changed.v1': " + type);
        }
        return type;
    }

    /** The entity version carried by {@code event}. */
    public static long version(CloudEvent event) {
        Object value = event.getExtension(VERSION);
        if (value == null) {
            throw new IllegalArgumentException("event " + event.getId() + " carries no " + VERSION);
        }
        return value instanceof Number number ? number.longValue() : Long.parseLong(value.toString());
    }

    /** The HLC timestamp carried by {@code event}. */
    public static HlcTimestamp hlc(CloudEvent event) {
        Object value = event.getExtension(HLC);
        if (value == null) {
            throw new IllegalArgumentException("event " + event.getId() + " carries no " + HLC);
        }
        return HlcTimestamp.parse(value.toString());
    }

    /** Reads the JSON data of {@code event} as {@code type}. */
    public static <T> T data(CloudEvent event, Class<T> type) {
        CloudEventData data = event.getData();
        if (data == null) {
            throw new IllegalArgumentException("event " + event.getId() + " has no data");
        }
        return MAPPER.readValue(data.toBytes(), type);
    }
}
