package io.meridian.support;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.PropertiesPropertySourceLoader;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

/**
 * Adds {@code meridian-service-defaults.properties} as the lowest-precedence property source, so every
 * service starts from the same management, logging, Flyway and Kafka defaults and overrides only what
 * is its own.
 */
public class MeridianDefaultsEnvironmentPostProcessor implements EnvironmentPostProcessor {

    static final String NAME = "meridianServiceDefaults";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (environment.getPropertySources().contains(NAME)) {
            return;
        }
        try {
            for (PropertySource<?> source : new PropertiesPropertySourceLoader().load(NAME,
                    new ClassPathResource("meridian-service-defaults.properties"))) {
                environment.getPropertySources().addLast(source);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read meridian-service-defaults.properties", e);
        }
    }
}
