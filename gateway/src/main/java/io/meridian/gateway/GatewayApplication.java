package io.meridian.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

import io.meridian.common.jvm.NettyUnsafe;

/** Gateway: runs in front of every region. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class GatewayApplication {

    public static void main(String[] args) {
        NettyUnsafe.keep(); // the data path is Netty's: keep its direct-buffer fast paths on Java 24 and 25
        SpringApplication.run(GatewayApplication.class, args);
    }
}
