package io.meridian.region;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

import io.meridian.common.jvm.NettyUnsafe;

/** Region service: owns the region registry and everything placed into regions. */
@SpringBootApplication
public class RegionServiceApplication {

    public static void main(String[] args) {
        NettyUnsafe.keep(); // fabric8's Kubernetes client talks through Vert.x on Netty
        SpringApplication.run(RegionServiceApplication.class, args);
    }
}
