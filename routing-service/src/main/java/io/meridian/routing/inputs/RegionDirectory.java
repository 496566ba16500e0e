package io.meridian.routing.inputs;

import org.springframework.stereotype.Component;

/**
 * The region registry as routing sees it: service-support's {@link io.meridian.support.region.RegionDirectory},
 * rebuilt from {@code meridian.region-events} alone, as a bean of this service.
 */
@Component
public class RegionDirectory extends io.meridian.support.region.RegionDirectory {
}
