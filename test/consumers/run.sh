#!/usr/bin/env bash
# Proves the Python, Java and Go packages with real consumer apps (`npx projen test:consumers`).
#
# For each language: build the package with jsii-pacmak (`npx projen package:python`,
# `npx projen package:java`), install it as a user would (the wheel into a virtual
# environment with aws-cdk-lib and constructs from PyPI; the jar into a local Maven
# repository next to aws-cdk-lib from Maven Central; the Go module by a replace directive,
# next to aws-cdk-go from the Go module proxy), synthesize the app in
# test/consumers/LANGUAGE, and check its template with check-template.ts.
#
# The apps run with a minimal environment whose PATH holds only the interpreter's, node's
# and Maven's folders, behind a fake `docker` and `esbuild` that record any call and fail;
# the check fails if either was called.
#
# Usage: test/consumers/run.sh [--no-package] [python] [java] [go]   (no language: all three)
#   --no-package  use the packages already in dist/ (for example after `npx projen build`)
# Requires a compiled library (.jsii, assets/): `npx projen build` or `npx projen compile`.
#
# Caches (pip's, the virtual environment, the Maven repository, Go's modules and builds) live in CONSUMERS_CACHE_DIR,
# by default ~/.cache/cdk-ecr-scan-reporter/consumers: outside the clone, so a fresh clone on
# the same machine reuses it, and never packed into the npm package. Delete it to start cold.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
# The jsii runtime inside the Python and Java packages warns about Node 20 unless told not to.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

package=true
languages=()
for arg in "$@"; do
  case "$arg" in
    --no-package) package=false ;;
    python | java | go) languages+=("$arg") ;;
    *) echo "usage: $0 [--no-package] [python] [java] [go]" >&2; exit 2 ;;
  esac
done
[ ${#languages[@]} -gt 0 ] || languages=(python java go)

if [ ! -f .jsii ] || [ ! -d assets/lambda ]; then
  echo "No compiled library here (.jsii, assets/lambda): run 'npx projen build' first." >&2
  exit 1
fi

CACHE="${CONSUMERS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk-ecr-scan-reporter/consumers}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
VERSION="$(node -p 'require("./package.json").version')"
NODE_DIR="$(dirname "$(command -v node)")"
echo "[consumers] cache: $CACHE"

# Fakes that shadow docker and esbuild: a call is recorded in $CONSUMER_TOOL_LOG and fails.
FAKE_BIN="$CACHE/fake-bin"
mkdir -p "$FAKE_BIN"
for tool in docker esbuild; do
  cat >"$FAKE_BIN/$tool" <<EOF
#!/bin/sh
echo "$tool \$*" >>"\${CONSUMER_TOOL_LOG:?}"
echo "$tool must not be needed to synthesize an app that uses cdk-ecr-scan-reporter" >&2
exit 1
EOF
  chmod +x "$FAKE_BIN/$tool"
done

timings=()
step() { # step LABEL COMMAND...: runs and times one step
  local label="$1" start=$SECONDS
  shift
  echo "[consumers] $label"
  "$@"
  timings+=("$label: $((SECONDS - start)) s")
}

# Runs a command with only what a user's machine would need: PATH, HOME, the output folder.
minimal_env() { # minimal_env PATH OUTDIR TOOL_LOG COMMAND...
  local path="$1" outdir="$2" tool_log="$3"
  shift 3
  env -i HOME="$HOME" PATH="$path" LANG=C.UTF-8 ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} \
    JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK_OUTDIR="$outdir" \
    CDK_DOCKER="$FAKE_BIN/docker" CONSUMER_TOOL_LOG="$tool_log" "$@"
}

check() { # check OUTDIR STACK TOOL_LOG
  npx ts-node --project tsconfig.dev.json test/consumers/check-template.ts "$@"
}

python_consumer() {
  local app="$ROOT/test/consumers/python" venv="$CACHE/venv"
  if $package; then
    step "package:python" env PIP_CACHE_DIR="$CACHE/pip" npx projen package:python
  fi
  local wheels=(dist/python/cdk_ecr_scan_reporter-"$VERSION"-py3-none-any.whl)
  [ -f "${wheels[0]}" ] || { echo "no wheel ${wheels[0]}: run without --no-package" >&2; exit 1; }

  install() {
    # A venv whose interpreter is gone (Python upgraded) is made anew.
    "$venv/bin/python" -c '' 2>/dev/null || { rm -rf "$venv"; python3 -m venv "$venv"; }
    export PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
    # Never test a wheel left from an earlier run: remove it, then install the one just built.
    "$venv/bin/pip" uninstall --quiet --yes cdk-ecr-scan-reporter 2>/dev/null || true
    "$venv/bin/pip" install --quiet -c "$app/constraints.txt" -r "$app/requirements.txt" "$ROOT/${wheels[0]}"
  }
  step "python: install the wheel, aws-cdk-lib and constructs" install

  local out="$app/cdk.out" tool_log
  tool_log="$(mktemp -u)"
  rm -rf "$out"
  step "python: synthesize test/consumers/python/app.py" \
    minimal_env "$FAKE_BIN:$venv/bin:$NODE_DIR" "$out" "$tool_log" "$venv/bin/python" "$app/app.py"
  step "python: check the template" check "$out" EcrScanReporterPython "$tool_log"
}

java_consumer() {
  local app="$ROOT/test/consumers/java" repo="$CACHE/m2"
  if $package; then
    # pacmak's Maven build uses the cache too (the maven.repo.local property wins over its settings).
    step "package:java" env MAVEN_OPTS="-Dmaven.repo.local=$repo" npx projen package:java
  fi
  local built="dist/java/io/github/cdk-ecr-scan-reporter/cdk-ecr-scan-reporter/$VERSION/cdk-ecr-scan-reporter-$VERSION"
  [ -f "$built.jar" ] || { echo "no jar $built.jar: run without --no-package" >&2; exit 1; }

  install() {
    # Never test a jar left from an earlier run: remove it, then install the one just built.
    rm -rf "$repo/io/github/cdk-ecr-scan-reporter"
    mvn --batch-mode --quiet -Dstyle.color=never -Dmaven.repo.local="$repo" -f "$app/pom.xml" install:install-file \
      -Dfile="$ROOT/$built.jar" -DpomFile="$ROOT/$built.pom"
  }
  step "java: install the jar into the local Maven repository" install

  local out="$app/cdk.out" tool_log
  tool_log="$(mktemp -u)"
  rm -rf "$out" "$app/target"
  local path="$FAKE_BIN:$(dirname "$(command -v java)"):$(dirname "$(command -v mvn)"):$NODE_DIR"
  step "java: compile and synthesize test/consumers/java" \
    minimal_env "$path" "$out" "$tool_log" \
    mvn --batch-mode --quiet -Dstyle.color=never -f "$app/pom.xml" -Dmaven.repo.local="$repo" \
    -Dcdk-ecr-scan-reporter.version="$VERSION" compile exec:java
  step "java: check the template" check "$out" EcrScanReporterJava "$tool_log"
}

go_consumer() {
  local app="$ROOT/test/consumers/go"
  # Go's module and build caches in the consumers' cache; -modcacherw so that deleting it just works.
  local goenv=(GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-modcacherw GOTOOLCHAIN=local)
  if $package; then
    # pacmak's Go build (go mod tidy, go build) fetches aws-cdk-go and its modules from the Go module proxy.
    step "package:go" env "${goenv[@]}" npx projen package:go
  fi
  [ -f dist/go/cdkecrscanreporter/go.mod ] || { echo "no Go module in dist/go/cdkecrscanreporter: run without --no-package" >&2; exit 1; }

  local out="$app/cdk.out" tool_log
  tool_log="$(mktemp -u)"
  rm -rf "$out"
  local path="$FAKE_BIN:$(dirname "$(command -v go)"):$NODE_DIR"
  # go.mod replaces the package's module path by dist/go/cdkecrscanreporter; go.sum pins the rest.
  run_go() { cd "$app" && minimal_env "$path" "$out" "$tool_log" "$(command -v env)" "${goenv[@]}" go run .; }
  step "go: compile and synthesize test/consumers/go" run_go
  cd "$ROOT"
  step "go: check the template" check "$out" EcrScanReporterGo "$tool_log"
}

for language in "${languages[@]}"; do
  "${language}_consumer"
done

echo "[consumers] timings:"
printf '  %s\n' "${timings[@]}"
