package io.meridian.common.ops;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The operation id that follows a request from the gateway through every service: carried in {@value #HEADER}, put
 * into each service's logging context and its audit records. A caller (an operator tool, the gateway) may name the
 * operation; anything that is not a plain token is replaced, so a header can never smuggle text into logs.
 */
public final class OperationIds {

    /** The request and response header carrying the operation id. */
    public static final String HEADER = "X-Request-Id";
    /** The longest id accepted. */
    public static final int MAX_LENGTH = 64;

    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

    private OperationIds() {
    }

    /** Whether {@code candidate} is an acceptable id: 1-64 letters, digits, {@code . _ : -}. */
    public static boolean isValid(@Nullable String candidate) {
        return candidate != null && TOKEN.matcher(candidate).matches();
    }

    /** {@code given} when it is acceptable, else a new id. */
    public static String orNew(@Nullable String given) {
        return given != null && isValid(given) ? given : newId();
    }

    /** A new random id, 16 hexadecimal digits. */
    public static String newId() {
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
