package io.meridian.backup;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

import io.meridian.common.jvm.NettyUnsafe;

/** Backup policies, runs, catalog, cross-region copies, verification and restore. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class BackupServiceApplication {

    public static void main(String[] args) {
        NettyUnsafe.keep(); // fabric8's Kubernetes client talks through Vert.x on Netty
        SpringApplication.run(BackupServiceApplication.class, args);
    }
}
