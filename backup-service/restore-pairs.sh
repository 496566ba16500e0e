#!/usr/bin/env bash
# Physical restore paired with pgBackRest's (not a test): one restore per process, the way pgBackRest runs, alternating
#   (a) pgBackRest's restore of the anchor harness's uncompressed S3 backup through the harness's s3proxy (HTTPS, 57010),
#       then PostgreSQL started on it until pg_is_in_recovery() is false: the harness's "restore + recovery" step;
#   (b) ours in a fresh JVM: SCRATCH=... ONLY=physical-restore REPS=1 RESTORE_VARIANTS=new backup-service/benchmarks.sh
#       (parts read and checked, extracted, PostgreSQL started until writable, stopped, moved into place).
# Both start from the same state: the previous target removed, then `sync`, as the harness does before each restore.
#
#   SIZE=2 REPS=1 KEEP_DATA=1 bash /work/shared/anchors/backup-peers.sh /tmp/anchor-backup   # first, as root
#   SCRATCH=/tmp/anchor-backup ONLY=physical REPS=1 backup-service/benchmarks.sh              # leaves a physical backup
#   SCRATCH=/tmp/anchor-backup PAIRS=3 backup-service/restore-pairs.sh [heap]                 # heap: default 256m
#
# Prints one line per pair and the ratios. Results belong in docs/benchmarks.md with the command and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-/tmp/anchor-backup}
SCRATCH=${SCRATCH%/}
PAIRS=${PAIRS:-3}
heap=${1:-256m}
PGBIN=/usr/lib/postgresql/15/bin
PORT_DST=57002
DST=$SCRATCH/pgdata-pairs
LOG=$SCRATCH/log/restore-pairs
mkdir -p "$LOG"
chown postgres:postgres "$LOG"   # PostgreSQL, run as postgres, writes its log there

as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- env HOME="$SCRATCH" PATH="$PGBIN:/usr/bin:/bin" LC_ALL=C.UTF-8 "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}'; }

label=$(awk -F'\t' '$0 ~ /pgbackrest full \(s3, none\)/ { if (match($0, /label [0-9A-Z-]+/)) print substr($0, RSTART + 6, RLENGTH - 6) }' \
  "$SCRATCH/results.tsv" | tail -n 1)
[[ -n $label ]] || { echo "no uncompressed S3 backup in $SCRATCH/results.tsv (run backup-peers.sh with KEEP_DATA=1)" >&2; exit 2; }

# the harness's s3proxy (pgBackRest speaks S3 over TLS only); started here when it is not answering
s3_pid=""
if ! curl -s -o /dev/null --cacert "$SCRATCH/s3/s3.crt" https://127.0.0.1:57010/; then
  jar=$(ls "$SCRATCH"/tools/s3proxy-*-jar-with-dependencies.jar | head -n 1)
  setpriv --reuid=postgres --regid=postgres --init-groups -- env HOME="$SCRATCH" LOG_LEVEL=warn \
    java -Xmx1g -XX:-UsePerfData -Djava.io.tmpdir="$SCRATCH/tmp" -jar "$jar" --properties "$SCRATCH/s3/s3proxy.conf" \
    > "$LOG/s3proxy.log" 2>&1 < /dev/null &
  s3_pid=$!
  for _ in $(seq 240); do curl -s -o /dev/null --cacert "$SCRATCH/s3/s3.crt" https://127.0.0.1:57010/ && break; sleep 0.25; done
fi
stop_dst() {
  [[ -f $DST/postmaster.pid ]] && as_pg pg_ctl -D "$DST" -m fast -w -t 120 stop > /dev/null 2>&1 || true
  rm -rf "$DST"
}
cleanup() { stop_dst; [[ -n $s3_pid ]] && kill "$s3_pid" 2>/dev/null || true; }
trap cleanup EXIT

pgbackrest_restore() {
  stop_dst
  install -d -m 700 -o postgres -g postgres "$DST"
  sync
  local t0 files
  t0=$(now)
  as_pg pgbackrest --config="$SCRATCH/pgbackrest/pgbackrest.conf" --stanza=anchor --repo=2 --set="$label" --pg1-path="$DST" \
    --archive-mode=off restore >> "$LOG/pgbackrest.log" 2>&1
  files=$(since "$t0")
  as_pg pg_ctl -D "$DST" -l "$LOG/restored.log" -w -t 600 \
    -o "-p $PORT_DST -c listen_addresses=127.0.0.1 -c unix_socket_directories=$SCRATCH/run -c archive_mode=off" start > /dev/null
  until [[ $(as_pg psql -X -q -At -h 127.0.0.1 -p "$PORT_DST" -U postgres -d postgres -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]]; do
    sleep 0.05
  done
  echo "$files $(since "$t0")"
  stop_dst
}

ours_restore() {
  local out=$LOG/ours-$1.log
  SCRATCH=$SCRATCH ONLY=physical-restore REPS=1 RESTORE_VARIANTS=new backup-service/benchmarks.sh "$heap" > "$out" 2>&1 \
    || { echo "our restore failed, see $out" >&2; exit 1; }
  # the result row of the timed restore: "physical restore ..." followed by its seconds
  awk '/^  meridian physical restore from S3/ && $NF ~ /^[0-9.]+$/ { s = $NF } END { if (s == "") exit 1; print s }' "$out" \
    || { echo "no restore time in $out" >&2; return 1; }
}

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) restore pairs on $(nproc) cores, pgBackRest set $label, heap $heap"
for ((i = 1; i <= PAIRS; i++)); do
  read -r files theirs < <(pgbackrest_restore)
  ours=$(ours_restore "$i")
  printf 'pair %d: pgBackRest restore + recovery %s s (files %s s); ours %s s; ratio %s\n' "$i" "$theirs" "$files" "$ours" \
    "$(awk -v a="$ours" -v b="$theirs" 'BEGIN{printf "%.2fx", a / b}')"
done
