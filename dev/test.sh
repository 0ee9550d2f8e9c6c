#!/usr/bin/env bash
# `make test`: install what the tests need (PostgreSQL, Chromium, Redis from Debian;
# the Kafka jars from Maven Central), start the `test` stack once, and run ruff, mypy
# and the whole pytest suite (unit + integration) on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}
[[ -x /usr/bin/chromium ]] || { echo "Installing Debian's chromium..."; apt_install chromium; }
python3 dev/stack.py install --postgres

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy .

echo "== starting the test stack (Kafka, Redis, PostgreSQL, schema registry)"
stack_env=$(python3 dev/stack.py up --name test --kafka --redis --postgres --registry)
trap 'python3 dev/stack.py down --name test >/dev/null 2>&1 || true' EXIT
set -a
eval "$stack_env"
set +a

echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
  echo "pytest collected no tests: that is a failure."
  exit 1
fi
exit $rc
