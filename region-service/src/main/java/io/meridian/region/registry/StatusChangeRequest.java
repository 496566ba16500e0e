package io.meridian.region.registry;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * Body of a lifecycle action.
 *
 * @param reason why the operator acts; recorded in the audit log and the event
 */
public record StatusChangeRequest(@NotBlank @Size(max = 500) String reason) {
}
