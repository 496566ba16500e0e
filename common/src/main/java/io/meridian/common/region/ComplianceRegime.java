package io.meridian.common.region;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.InvalidFieldException;

/**
 * A data-protection regime a region is certified for and a service's data may be tagged with. A
 * regime that localises data names the zone its data must stay in.
 */
public enum ComplianceRegime {
    /** EU General Data Protection Regulation: data stays in the EU zone. */
    GDPR(ResidencyZone.EU),
    /** California Consumer Privacy Act: data stays in the US zone. */
    CCPA(ResidencyZone.US),
    /** Brazil's Lei Geral de Proteção de Dados: data stays in the BR zone. */
    LGPD(ResidencyZone.BR),
    /** Japan's Act on the Protection of Personal Information: data stays in the APAC zone. */
    APPI(ResidencyZone.APAC),
    /** Canada's PIPEDA: data stays in the CA zone. */
    PIPEDA(ResidencyZone.CA),
    /** US HIPAA: no residency constraint of its own. */
    HIPAA(null),
    /** SOC 2: an attestation, no residency constraint. */
    SOC2(null);

    private final @Nullable ResidencyZone zone;

    ComplianceRegime(@Nullable ResidencyZone zone) {
        this.zone = zone;
    }

    /** The zone data under this regime must stay in, if the regime localises data. */
    public Optional<ResidencyZone> residencyZone() {
        return Optional.ofNullable(zone);
    }

    /** Parses a regime name, naming the field and the known regimes when it is unknown. */
    public static ComplianceRegime parse(String field, String value) {
        for (ComplianceRegime regime : values()) {
            if (regime.name().equals(value)) {
                return regime;
            }
        }
        throw new InvalidFieldException(field, "unknown regime '" + value + "'; known regimes: " + names());
    }

    /** The known regime names. */
    public static List<String> names() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }
}
