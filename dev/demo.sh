#!/usr/bin/env bash
# `make demo`: start Kafka, Connect, Redis and the schema registry, prepare the database and the admin login,
# then run web, worker, beat and demo traffic together under honcho. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

# Secrets for this checkout, made once and kept in the git-ignored .env.
if [[ ! -f .env ]]; then
  umask 077
  {
    echo "SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
    echo "FIELD_ENCRYPTION_KEY=$($PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
  } > .env
  echo "Wrote .env with a new SECRET_KEY and FIELD_ENCRYPTION_KEY."
fi

stack_env=$(python3 dev/stack.py up --name dev --kafka --connect --redis --registry)
set -a
eval "$stack_env"
set +a
cleanup() {
  echo "Stopping Kafka, Connect, Redis and the schema registry..."
  python3 dev/stack.py down --name dev >/dev/null 2>&1 || true
}
trap cleanup EXIT

port=${SIGNALBOX_PORT:-8000}
if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $port))" 2>/dev/null; then
  port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
fi
export SIGNALBOX_PORT=$port
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-localhost,127.0.0.1}

$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
login=$($PY manage.py demo_setup --bootstrap "$KAFKA_BOOTSTRAP" --connect-url "${CONNECT_URL:-}" \
  --schema-registry-url "${SCHEMA_REGISTRY_URL:-}" --metrics-urls "${KAFKA_METRICS_URLS:-}")

cat <<MSG

  Signalbox is starting at http://127.0.0.1:${port}/
  ${login}

  Kafka ${KAFKA_BOOTSTRAP} · Connect ${CONNECT_URL:-none} · Redis ${REDIS_URL}
  Schema registry ${SCHEMA_REGISTRY_URL:-none}
  Press Ctrl-C to stop everything.

MSG
.venv/bin/honcho start -f Procfile
