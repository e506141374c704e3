#!/usr/bin/env bash
# Builds the modular consumer against the installed artifacts and runs it with native access
# granted to io.mdocker.bindings alone and illegal native access denied: any restricted call made
# by another module (io.mdocker.core included) fails the run. As root.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -ntp -q package
java="${JAVA_HOME:?JAVA_HOME must name a JDK >= 22}/bin/java"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$java" --illegal-native-access=deny --enable-native-access=io.mdocker.bindings \
  --module-path "target/classes:$(cat target/module-path.txt)" -m com.example.modular/com.example.modular.Main "$scratch"
