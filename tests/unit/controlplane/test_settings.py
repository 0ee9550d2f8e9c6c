"""Settings fail fast with a message that says what to set."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _boot(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEBUG")}
    clean.update(env)
    clean["ENV_FILE"] = "none"  # a developer's .env must not satisfy the check
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd="/",
        env={**clean, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "controlplane.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_fails_with_a_fix():
    result = _boot(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_missing_encryption_key_fails_with_a_fix():
    result = _boot(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is not set" in result.stderr and "generate_key" in result.stderr


def test_debug_boots_on_development_defaults():
    result = _boot(DEBUG="true")
    assert result.returncode == 0, result.stderr
