#!/usr/bin/env bash
# backup-service benchmark (not a test): BackupBenchmark on the data ../shared/anchors/backup-peers.sh leaves behind.
# It calls backup-service's own classes (streamed upload, manifest, verification, verified restore), so it
# lives in this module's test tree and runs on its test classpath.
#
#   SIZE=2 REPS=1 KEEP_DATA=1 bash /work/shared/anchors/backup-peers.sh /tmp/anchor-backup   # first, as root
#   SCRATCH=/tmp/anchor-backup backup-service/benchmarks.sh [heap]                        # heap: default 256m
#
# Environment as documented in BackupBenchmark (SCRATCH, PG_PORT, DB, REPS, S3_PORT, ONLY).
# Results belong in docs/benchmarks.md under "Backup and restore", with the command and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
heap=${1:-256m}
./mvnw -B -q -pl backup-service -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench-classpath.txt
cp="backup-service/target/test-classes:backup-service/target/classes:$(cat backup-service/target/bench-classpath.txt)"
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, $(java -version 2>&1 | head -n 1), load $(cut -d' ' -f1-3 /proc/loadavg)"
# --add-modules jdk.incubator.vector: restores hash parts in vector lanes, as the service does when started with it
# (BENCH_JAVA_OPTS=-Dmeridian.backup.sha256-lanes=false measures the JDK's SHA-256 instead)
exec java "-Xmx$heap" --add-modules jdk.incubator.vector ${BENCH_JAVA_OPTS:-} -cp "$cp" io.meridian.backup.bench.BackupBenchmark
