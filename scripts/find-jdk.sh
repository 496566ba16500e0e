#!/usr/bin/env bash
# Prints the home of a JDK 21 or newer, preferring $JAVA_HOME, then the newest under /usr/lib/jvm.
# Source it (". scripts/find-jdk.sh") to export JAVA_HOME and put its java first on PATH.
meridian_jdk_major() { # java_home -> major version, or nothing
  local rel="$1/release" v
  [[ -x "$1/bin/javac" ]] || return 0
  if [[ -f "$rel" ]]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  else
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p')
  fi
  printf '%s' "$v"
}
meridian_find_jdk() {
  local cand major best="" best_major=0
  if [[ -n "${JAVA_HOME:-}" ]]; then
    major=$(meridian_jdk_major "$JAVA_HOME")
    if [[ -n "$major" && "$major" -ge 21 ]]; then printf '%s\n' "$JAVA_HOME"; return 0; fi
  fi
  for cand in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    [[ -d "$cand" && ! -L "$cand" ]] || continue
    major=$(meridian_jdk_major "$cand")
    if [[ -n "$major" && "$major" -ge 21 && "$major" -gt "$best_major" ]]; then best=$cand; best_major=$major; fi
  done
  if [[ -z "$best" ]]; then
    echo "No JDK 21+ found (looked at \$JAVA_HOME and /usr/lib/jvm). Install one, or set JAVA_HOME." >&2
    return 1
  fi
  printf '%s\n' "$best"
}
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  meridian_find_jdk
else
  MERIDIAN_JDK=$(meridian_find_jdk) || return 1
  export JAVA_HOME="$MERIDIAN_JDK"
  export PATH="$JAVA_HOME/bin:$PATH"
fi
