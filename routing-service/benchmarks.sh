#!/usr/bin/env bash
# routing-service benchmarks (not tests): JMH decision throughput and latency against a bare geoip2
# City lookup, and the weighted split accuracy report. Fetches GeoLite2 City if needed.
#
#   routing-service/benchmarks.sh              both, JMH with its defaults (about 2 minutes)
#   routing-service/benchmarks.sh jmh [args]   JMH only, extra JMH arguments (e.g. -p clients=10000 -bm thrpt)
#   routing-service/benchmarks.sh split        the split accuracy report only
#   routing-service/benchmarks.sh cpu          decisions per thread-CPU-second (robust when the machine is shared)
#   routing-service/benchmarks.sh footprint    compile time and heap of the per-place routes (stack policies, 50 services)
#
# Results belong in docs/benchmarks.md under "Routing", with the command and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
db=$(scripts/fetch-geoip.sh)
what=${1:-all}
[[ $# -gt 0 ]] && shift
./mvnw -B -q -pl routing-service -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench-classpath.txt
cp="routing-service/target/test-classes:routing-service/target/classes:$(cat routing-service/target/bench-classpath.txt)"
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, $(java -version 2>&1 | head -n 1), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $what == all || $what == split ]]; then
  java -cp "$cp" io.meridian.routing.bench.SplitAccuracy
fi
if [[ $what == all || $what == cpu ]]; then
  java -Xms2g -Xmx2g -cp "$cp" -Dgeoip.db="$db" io.meridian.routing.bench.CpuThroughput
fi
if [[ $what == footprint ]]; then
  java -Xms2g -Xmx2g -cp "$cp" -Dgeoip.db="$db" io.meridian.routing.bench.PlaceRouteFootprint
fi
if [[ $what == all || $what == jmh ]]; then
  java -cp "$cp" org.openjdk.jmh.Main 'io.meridian.routing.bench.DecisionBenchmark' -jvmArgsAppend "-Dgeoip.db=$db" "$@"
fi
