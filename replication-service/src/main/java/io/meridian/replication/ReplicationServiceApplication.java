package io.meridian.replication;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Replication links, change capture and apply, conflicts, lag and the residency filter. */
@SpringBootApplication
public class ReplicationServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(ReplicationServiceApplication.class, args);
    }
}
