package io.meridian.region.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * The placeholders of a template: {@code {{ .Values.image.registry }}} (a value, by dotted path),
 * {@code {{ .Release.Service }}}, {@code .Release.Region}, {@code .Release.Version} and
 * {@code .Release.Namespace}. A trailing {@code ?} makes a placeholder optional: when the value is
 * missing a whole-value placeholder drops its key and an embedded one renders as nothing.
 */
final class Placeholders {

    static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*(.*?)\\s*}}");
    private static final Pattern EXPRESSION = Pattern.compile(
            "\\.(Values((?:\\.[A-Za-z0-9_-]+)+)|Release\\.(Service|Region|Version|Namespace))(\\?)?");
    /** Every render parses the same few template strings again: their placeholders, parsed once (a malformed one is not kept). */
    private static final Cache<String, List<Placeholder>> PARSED = Caffeine.newBuilder().maximumSize(4096).build();

    private Placeholders() {
    }

    /**
     * One parsed placeholder.
     *
     * @param text      the whole {@code {{ ... }}} text
     * @param valuePath the dotted value path for {@code .Values} placeholders
     * @param release   the release field for {@code .Release} placeholders
     * @param optional  whether it ends in {@code ?}
     */
    record Placeholder(String text, @Nullable List<String> valuePath, @Nullable String release, boolean optional) {

        String expression() {
            return valuePath != null ? ".Values." + String.join(".", valuePath) : ".Release." + release;
        }
    }

    /** The placeholders in {@code text}, in order; throws {@link IllegalArgumentException} with a reason when one is malformed. */
    static List<Placeholder> parse(String text) {
        if (!text.contains("{{")) {
            return List.of();
        }
        return PARSED.get(text, Placeholders::parseText);
    }

    private static List<Placeholder> parseText(String text) {
        List<Placeholder> found = new ArrayList<>();
        Matcher matcher = PLACEHOLDER.matcher(text);
        int end = 0;
        while (matcher.find()) {
            if (text.substring(end, matcher.start()).contains("{{")) {
                throw new IllegalArgumentException("has an unclosed '{{'");
            }
            Matcher expression = EXPRESSION.matcher(matcher.group(1));
            if (!expression.matches()) {
                throw new IllegalArgumentException("placeholder '" + matcher.group() + "' must be {{ .Values.<path> }} or "
                        + "{{ .Release.Service|Region|Version|Namespace }}, optionally ending in '?'");
            }
            List<String> path = expression.group(2) == null ? null : List.of(expression.group(2).substring(1).split("\\."));
            found.add(new Placeholder(matcher.group(), path, expression.group(3), expression.group(4) != null));
            end = matcher.end();
        }
        String rest = text.substring(end);
        if (rest.contains("{{")) {
            throw new IllegalArgumentException("has an unclosed '{{'");
        }
        return List.copyOf(found);
    }

    /** The single placeholder {@code text} consists of, or null when it has other text around it (or none). */
    static @Nullable Placeholder whole(String text) {
        List<Placeholder> all = parse(text);
        return all.size() == 1 && all.getFirst().text().equals(text.strip()) ? all.getFirst() : null;
    }
}
