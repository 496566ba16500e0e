package io.meridian.region.config;

import java.util.List;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Writes manifests as a multi-document YAML stream, as {@code kubectl apply -f} reads it. */
public final class Manifests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Manifests() {
    }

    /** The objects as YAML documents separated by {@code ---}. */
    public static String yaml(List<? extends JsonNode> manifests) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setExplicitStart(true);
        options.setIndicatorIndent(0);
        Yaml yaml = new Yaml(options);
        return yaml.dumpAll(manifests.stream().map(m -> JSON.convertValue(m, Object.class)).iterator());
    }
}
