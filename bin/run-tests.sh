#!/usr/bin/env bash
# Runs the test suite the way CI does: tox's default env on this machine's python3.
# The first run makes .venv-tox (a virtual environment holding tox) and reuses it after.
# Arguments go to pytest, e.g. bin/run-tests.sh tests/jute -x
set -eu
cd "$(dirname "$0")/.."
PY="${ZOO_PYTHON:-python3}"
if [ ! -x .venv-tox/bin/tox ]; then
    "$PY" -m venv .venv-tox
    .venv-tox/bin/python -m pip install -q tox
fi
exec .venv-tox/bin/tox -e py -- "$@"
