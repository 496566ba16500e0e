package io.meridian.backup.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** How {@code meridian.backup.*} binds: the defaults a bare configuration gets, and values out of range refused. */
class BackupPropertiesTests {

    private static BackupProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("meridian.backup", BackupProperties.class);
    }

    @Test
    void logicalBackupsDefaultToPgDumpsOwnGzipAtLevelOne() {
        BackupProperties properties = bind(Map.of());

        assertThat(properties.logicalCompression()).isEqualTo(BackupProperties.LogicalCompression.PG_DUMP);
        assertThat(properties.dumpCompression()).isEqualTo(1);
    }

    @Test
    void pgDumpsLevelCanBeChosenWithinZeroToNine() {
        assertThat(bind(Map.of("meridian.backup.dump-compression", "6")).dumpCompression()).isEqualTo(6);
        assertThat(bind(Map.of("meridian.backup.dump-compression", "0")).dumpCompression()).isZero();

        assertThatThrownBy(() -> bind(Map.of("meridian.backup.dump-compression", "10")))
                .isInstanceOf(BindException.class)
                .rootCause().hasMessageContaining("meridian.backup.dump-compression must be 0-9, not 10");
    }

    @Test
    void physicalBackupsDefaultToPartObjectsOfThreePartsAndCanBeOneObject() {
        assertThat(bind(Map.of()).physicalLayout()).isEqualTo(BackupProperties.ObjectLayout.PARTS);
        assertThat(bind(Map.of("meridian.backup.physical-layout", "object")).physicalLayout()).isEqualTo(BackupProperties.ObjectLayout.OBJECT);

        assertThatThrownBy(() -> bind(Map.of("meridian.backup.physical-layout", "tarball"))).isInstanceOf(BindException.class);
        assertThat(bind(Map.of()).partsPerObject()).isEqualTo(3);
        assertThatThrownBy(() -> bind(Map.of("meridian.backup.parts-per-object", "0")))
                .isInstanceOf(BindException.class)
                .rootCause().hasMessageContaining("meridian.backup.parts-per-object must be 1-16, not 0");
    }
}
