/** The routing domain, free of web, Kafka and JDBC: policies, their validation, table compilation and safety rules. */
@NullMarked
package io.meridian.routing.engine;

import org.jspecify.annotations.NullMarked;
