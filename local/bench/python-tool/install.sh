#!/usr/bin/env bash
# Installs the Python tool the benchmark compares with (ecr-scan-reporter, pinned with its whole
# freeze in requirements.txt) into .bench/python-tool-venv. Idempotent: does nothing when the venv
# already holds exactly these pins. Needs python3 (3.8 or later) and access to PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="$root/.bench/python-tool-venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum < "$here/requirements.txt" | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "install-python-tool: $python not found; install Python 3.8 or later (or set PYTHON)" >&2
  exit 1
fi

echo "install-python-tool: installing ecr-scan-reporter 0.4.8 into .bench/python-tool-venv (about 20 s, once)" >&2
rm -rf "$venv"
mkdir -p "$root/.bench"
"$python" -m venv "$venv"
# --no-deps: exactly the pinned set, nothing resolved on the day; pip check proves it is complete.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-deps -r "$here/requirements.txt"
"$venv/bin/python" -m pip check --disable-pip-version-check >&2
"$venv/bin/python" -c 'import ecr_scan_reporter.lambda_functions' # fail here, not in the middle of a run
echo "$want" > "$stamp"
echo "install-python-tool: done ($("$venv/bin/python" -c 'import ecr_scan_reporter; print("ecr-scan-reporter", ecr_scan_reporter.__version__)'))" >&2
