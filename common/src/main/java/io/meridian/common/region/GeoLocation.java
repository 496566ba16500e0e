package io.meridian.common.region;

import java.util.Locale;
import java.util.Set;

import io.meridian.common.problem.InvalidFieldException;

/**
 * Where a region is: WGS 84 coordinates and the ISO 3166-1 alpha-2 country it is in.
 *
 * @param latitude  degrees north, -90 to 90
 * @param longitude degrees east, -180 to 180
 * @param country   ISO 3166-1 alpha-2 code, upper case ({@code IE}, {@code US}, {@code JP})
 */
public record GeoLocation(double latitude, double longitude, String country) {

    /** Mean Earth radius used for great-circle distances (IUGG), in kilometres. */
    public static final double EARTH_RADIUS_KM = 6371.0088;

    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

    public GeoLocation {
        if (Double.isNaN(latitude) || latitude < -90 || latitude > 90) {
            throw new InvalidFieldException("latitude", "must be between -90 and 90");
        }
        if (Double.isNaN(longitude) || longitude < -180 || longitude > 180) {
            throw new InvalidFieldException("longitude", "must be between -180 and 180");
        }
        if (country == null || !COUNTRIES.contains(country)) {
            throw new InvalidFieldException("country", "must be an upper-case ISO 3166-1 alpha-2 code");
        }
    }

    /** Great-circle distance to {@code other} in kilometres (haversine on a spherical Earth). */
    public double distanceKm(GeoLocation other) {
        double phi1 = Math.toRadians(latitude);
        double phi2 = Math.toRadians(other.latitude);
        double dPhi = phi2 - phi1;
        double dLambda = Math.toRadians(other.longitude - longitude);
        double h = Math.sin(dPhi / 2) * Math.sin(dPhi / 2)
                + Math.cos(phi1) * Math.cos(phi2) * Math.sin(dLambda / 2) * Math.sin(dLambda / 2);
        return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
    }

    /**
     * Round-trip time estimated from distance alone, for region pairs nothing has measured: light in
     * fibre covers about 200 km per millisecond and real routes run about 1.5 times the great circle,
     * so RTT ≈ 2 × 1.5 × distance / 200 km/ms, plus 1 ms for switching.
     */
    public double estimatedRttMillis(GeoLocation other) {
        return 1.0 + 2 * 1.5 * distanceKm(other) / 200.0;
    }
}
