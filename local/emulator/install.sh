#!/usr/bin/env bash
# Installs the local AWS emulator (moto server, pinned in requirements.txt) into .emulator/venv.
# Idempotent: does nothing when the venv already holds exactly these pins. Used by the tests,
# the demo and .ci/run alike. Needs python3 (3.9 or later) and access to PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.emulator/venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum < "$here/requirements.txt" | cut -d' ' -f1)" # server.py runs from the tree

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "install-emulator: $python not found; install Python 3.9 or later (or set PYTHON)" >&2
  exit 1
fi

echo "install-emulator: installing moto server into .emulator/venv (about 30 s, once)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$here/requirements.txt"
"$venv/bin/python" -c 'import moto, flask, werkzeug' # fail here, not at first start
echo "$want" > "$stamp"
echo "install-emulator: done ($("$venv/bin/python" -c 'import moto; print("moto", moto.__version__)'))" >&2
