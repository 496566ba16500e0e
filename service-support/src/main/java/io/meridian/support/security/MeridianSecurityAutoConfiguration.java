package io.meridian.support.security;

import java.io.IOException;
import java.io.InputStream;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;

import jakarta.servlet.DispatcherType;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpMethod;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.converter.RsaKeyConverters;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.oauth2.server.resource.authentication.JwtGrantedAuthoritiesConverter;
import org.springframework.security.web.SecurityFilterChain;

import io.meridian.common.security.Roles;
import io.meridian.support.MeridianServiceProperties;

/**
 * Bearer-token security for every servlet service: tokens are RS256 JWTs from the configured issuer
 * and audience, verified with the configured public key; the {@code roles} claim maps to Spring roles
 * with {@code admin > operator > viewer}. Reads of {@code /api/**} need {@code viewer}, every other
 * method needs {@code operator}; health, metrics scraping and the API docs are open; anything not
 * listed is denied. Sessions are never created.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableMethodSecurity
public class MeridianSecurityAutoConfiguration {

    /** Paths anyone may read: probes, scraping, API docs. */
    static final String[] OPEN_PATHS = {"/actuator/health", "/actuator/health/**", "/actuator/info", "/actuator/prometheus",
            "/v3/api-docs", "/v3/api-docs/**", "/v3/api-docs.yaml", "/swagger-ui.html", "/swagger-ui/**"};

    @Bean
    @ConditionalOnMissingBean
    static RoleHierarchy meridianRoleHierarchy() {
        return RoleHierarchyImpl.fromHierarchy(Roles.hierarchy());
    }

    /**
     * With Spring Security's observations switched off ({@code management.observations.enable.spring.security=false},
     * our default) each of them is a no-op, yet Spring Security still wraps every filter of the chain, and the
     * authentication and authorization managers, in observing decorators that start those no-ops: their own frames
     * were 4 % of the CPU samples of a registry read (docs/benchmarks.md). This tells it not to wrap at all; the HTTP
     * server observation ({@code http.server.requests}) still times every request.
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "management.observations.enable.spring.security", havingValue = false)
    static SecurityObservationSettings meridianSecurityObservationSettings() {
        return SecurityObservationSettings.noObservations();
    }

    @Bean
    @ConditionalOnMissingBean(name = "meridianSecurityFilterChain")
    SecurityFilterChain meridianSecurityFilterChain(HttpSecurity http, JwtAuthenticationConverter converter) throws Exception {
        ProblemAuthenticationEntryPoint entryPoint = new ProblemAuthenticationEntryPoint();
        ProblemAccessDeniedHandler denied = new ProblemAccessDeniedHandler();
        http.authorizeHttpRequests(requests -> requests
                        // Error dispatches render the problem of a request that was already authorised;
                        // a direct call to /error is not one of them.
                        .dispatcherTypeMatchers(DispatcherType.ERROR).permitAll()
                        .requestMatchers(OPEN_PATHS).permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/**").hasRole(Roles.VIEWER)
                        .requestMatchers(HttpMethod.HEAD, "/api/**").hasRole(Roles.VIEWER)
                        .requestMatchers("/api/**").hasRole(Roles.OPERATOR)
                        .requestMatchers("/actuator/**").hasRole(Roles.ADMIN)
                        .anyRequest().denyAll())
                .oauth2ResourceServer(resourceServer -> resourceServer
                        .jwt(jwt -> jwt.jwtAuthenticationConverter(converter))
                        .authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler(denied))
                .exceptionHandling(handling -> handling.authenticationEntryPoint(entryPoint).accessDeniedHandler(denied))
                .sessionManagement(sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(cache -> cache.disable());
        return http.build();
    }

    @Bean
    @ConditionalOnMissingBean
    JwtAuthenticationConverter meridianJwtAuthenticationConverter() {
        JwtGrantedAuthoritiesConverter roles = new JwtGrantedAuthoritiesConverter();
        roles.setAuthoritiesClaimName(Roles.CLAIM);
        roles.setAuthorityPrefix("ROLE_");
        JwtAuthenticationConverter converter = new JwtAuthenticationConverter();
        converter.setJwtGrantedAuthoritiesConverter(roles);
        return converter;
    }

    /**
     * Verifies tokens with the public key at
     * {@code spring.security.oauth2.resourceserver.jwt.public-key-location} and checks expiry, issuer
     * and audience, every time; the parsed, signature-checked token is remembered for up to five minutes
     * ({@link VerifiedTokenCache}).
     */
    @Bean
    @ConditionalOnMissingBean
    JwtDecoder meridianJwtDecoder(@Value("${spring.security.oauth2.resourceserver.jwt.public-key-location}") Resource publicKey,
            MeridianServiceProperties properties) throws IOException {
        RSAPublicKey key;
        try (InputStream in = publicKey.getInputStream()) {
            key = RsaKeyConverters.x509().convert(in);
        }
        NimbusJwtDecoder decoder = NimbusJwtDecoder.withPublicKey(key).signatureAlgorithm(SignatureAlgorithm.RS256).build();
        OAuth2TokenValidator<Jwt> audience = new JwtClaimValidator<List<String>>(JwtClaimNames.AUD,
                aud -> aud != null && aud.contains(properties.audience()));
        OAuth2TokenValidator<Jwt> validator = new DelegatingOAuth2TokenValidator<>(JwtValidators.createDefaultWithIssuer(properties.issuer()),
                audience);
        decoder.setJwtValidator(validator);
        return new VerifiedTokenCache(decoder, validator, 10_000, Duration.ofMinutes(5));
    }
}
