#!/usr/bin/env bash
# Prints the home of a JDK >= 22 (javac included): $JAVA_HOME if it qualifies, else the newest
# under /usr/lib/jvm and /opt, else the one `javac` on PATH belongs to. Exit 1 with a message
# naming what was found when none qualifies.
set -u

major() { # JAVA_HOME -> feature version of its java, or 0
  local v="" line
  # The JDK's release file (JAVA_VERSION="25.0.3"), read with builtins: starting the JVM to ask
  # it costs a third of a second, which every ./mdocker command would pay.
  if [ -r "$1/release" ]; then
    while IFS= read -r line; do
      case "$line" in JAVA_VERSION=*) v=${line#JAVA_VERSION=}; v=${v//\"/}; v=${v%%[!0-9.]*}; break ;; esac
    done < "$1/release"
  fi
  if [ -z "$v" ]; then
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
  fi
  case "$v" in ''|*[!0-9.]*) echo 0 ;; 1.*) echo 0 ;; *) echo "${v%%.*}" ;; esac
}

ok() { [ -x "$1/bin/javac" ] && [ -x "$1/bin/java" ] && [ "$(major "$1")" -ge 22 ]; }

seen=""
if [ -n "${JAVA_HOME:-}" ]; then
  if ok "$JAVA_HOME"; then echo "$JAVA_HOME"; exit 0; fi
  seen="$seen $JAVA_HOME(java $(major "$JAVA_HOME"))"
fi
best=""; bestv=0
for d in /usr/lib/jvm/* /opt/*jdk* /opt/java/*; do
  [ -d "$d" ] || continue
  [ -x "$d/bin/javac" ] || continue
  v=$(major "$d")
  seen="$seen $d(java $v)"
  if [ "$v" -ge 22 ] && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
done
if [ -z "$best" ] && command -v javac >/dev/null; then
  d=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  if ok "$d"; then best=$d; fi
fi
if [ -n "$best" ]; then echo "$best"; exit 0; fi
echo "mdocker: no JDK >= 22 found (saw:${seen:- none}); install one (e.g. Temurin 25) or set JAVA_HOME" >&2
exit 1
