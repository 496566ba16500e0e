/** Operation ids that tie a request's log lines and audit records together across services. */
@NullMarked
package io.meridian.common.ops;

import org.jspecify.annotations.NullMarked;
