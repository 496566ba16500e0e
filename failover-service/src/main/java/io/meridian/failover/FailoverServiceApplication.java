package io.meridian.failover;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Health probing, failure decisions by quorum, fencing, promotion, switchover and history. */
@SpringBootApplication
public class FailoverServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(FailoverServiceApplication.class, args);
    }
}
