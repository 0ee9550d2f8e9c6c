"""Settings for the test suite: the real settings, fed throwaway secrets first
(production takes them from the environment)."""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "3Fw6k9pTgk0Jb8mS2mAYyE3v3WbVZgK7tH7m3m1e6xI=")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Django's SQLite test database is in memory unless named; the Celery worker test needs a file.
os.environ.setdefault("SQLITE_TEST_NAME", str(Path(__file__).resolve().parent.parent / ".cache" / "test-db.sqlite3"))

from controlplane.settings import *  # noqa: F403
