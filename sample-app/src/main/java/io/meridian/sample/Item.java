package io.meridian.sample;

import java.time.Instant;

/**
 * One stored item.
 *
 * @param key       its key: 1-128 characters of letters, digits and {@code ._:-}
 * @param value     its value, at most 4 KiB of UTF-8
 * @param region    the region whose database accepted the last write
 * @param updatedAt when it was last written, by the database clock
 */
public record Item(String key, String value, String region, Instant updatedAt) {
}
