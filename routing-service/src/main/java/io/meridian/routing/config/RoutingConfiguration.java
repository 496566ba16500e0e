package io.meridian.routing.config;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.meridian.common.geo.GeoIpLocator;

/** The routing engine's own beans. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(RoutingProperties.class)
class RoutingConfiguration {

    @Bean(destroyMethod = "close")
    GeoIpLocator geoIpLocator(RoutingProperties properties) {
        RoutingProperties.DefaultLocation fallback = properties.geoip().defaultLocation();
        new io.meridian.common.region.GeoLocation(fallback.latitude(), fallback.longitude(), fallback.country()); // validates
        return GeoIpLocator.openCompiled(properties.geoip().database(),
                new GeoIpLocator.Place(fallback.country(), fallback.latitude(), fallback.longitude()), properties.geoip().cacheSize());
    }
}
