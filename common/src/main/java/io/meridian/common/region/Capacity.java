package io.meridian.common.region;

import io.meridian.common.problem.InvalidFieldException;

/**
 * What a region can host, in the units placement asks for.
 *
 * @param cpuCores  schedulable CPU cores
 * @param memoryGib schedulable memory in GiB
 */
public record Capacity(int cpuCores, int memoryGib) {
    public Capacity {
        if (cpuCores < 0 || cpuCores > 10_000_000) {
            throw new InvalidFieldException("cpuCores", "must be between 0 and 10000000");
        }
        if (memoryGib < 0 || memoryGib > 100_000_000) {
            throw new InvalidFieldException("memoryGib", "must be between 0 and 100000000");
        }
    }

    /** Whether this capacity covers {@code needed} in every dimension. */
    public boolean covers(Capacity needed) {
        return cpuCores >= needed.cpuCores && memoryGib >= needed.memoryGib;
    }
}
