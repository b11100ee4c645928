"""Settings switch integrations on by environment variable.

Each case runs a fresh interpreter, because settings are read once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The probe starts from the embedded defaults whatever this run was configured with.
STRIPPED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_ENV",
    "SECRET_KEY",
    "CELERY_BROKER_URL",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.db import connection
out = {
    "engine": settings.DATABASES["default"]["ENGINE"],
    "transaction_mode": settings.DATABASES["default"].get("OPTIONS", {}).get("transaction_mode"),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "chat_layer": settings.CHANNEL_LAYERS["chat"]["BACKEND"],
    "chat_prefix": settings.CHANNEL_LAYERS["chat"].get("CONFIG", {}).get("prefix"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "debug": settings.DEBUG,
    "secret_key": settings.SECRET_KEY,
}
if out["engine"].endswith("sqlite3"):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        out["journal_mode"] = cursor.fetchone()[0]
print(json.dumps(out))
"""


def run_probe(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in STRIPPED}
    clean.update(
        DJANGO_SETTINGS_MODULE="pioneer_platform.settings",
        PIONEER_LOCAL_DIR=str(tmp_path / "local"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def probe(tmp_path: Path, **env: str) -> dict[str, object]:
    result = run_probe(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults(tmp_path: Path) -> None:
    out = probe(tmp_path)
    assert out["engine"] == "django.db.backends.sqlite3"
    assert out["transaction_mode"] == "IMMEDIATE"
    assert out["journal_mode"] == "wal"
    assert out["layer"] == "channels.layers.InMemoryChannelLayer"
    assert out["chat_layer"] == "channels.layers.InMemoryChannelLayer"
    assert out["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert out["eager"] is True
    assert out["broker"] == "memory://"
    assert out["debug"] is True


def test_redis_url_switches_layer_cache_and_celery(tmp_path: Path) -> None:
    out = probe(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    assert out["layer"] == "core.channel_layer.RedisChannelLayer"
    # Chat publishes a room's message once (Redis pub/sub), named apart per database.
    assert out["chat_layer"] == "core.channel_layer.PubSubChannelLayer"
    assert out["chat_prefix"] == "asgi.3."
    assert out["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert out["eager"] is False
    assert out["broker"] == "redis://127.0.0.1:6379/3"


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    result = run_probe(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    # The probe connects only for SQLite, so this needs no running server.
    assert json.loads(result.stdout.strip().splitlines()[-1])["engine"] == (
        "django.db.backends.postgresql"
    )


def test_development_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = probe(tmp_path)["secret_key"]
    second = probe(tmp_path)["secret_key"]
    key_file = tmp_path / "local" / "secret_key"
    assert first == second == key_file.read_text()
    assert len(str(first)) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    result = run_probe(tmp_path, DJANGO_ENV="production", ALLOWED_HOSTS="pioneer.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr
    assert not (tmp_path / "local").exists()


def test_unknown_profile_is_refused(tmp_path: Path) -> None:
    result = run_probe(tmp_path, DJANGO_ENV="staging")
    assert result.returncode != 0
    assert "DJANGO_ENV must be" in result.stderr


@pytest.mark.parametrize("extra", [{}, {"REDIS_URL": "redis://127.0.0.1:6379/0"}])
def test_check_deploy_is_clean_in_production(tmp_path: Path, extra: dict[str, str]) -> None:
    env = {key: value for key, value in os.environ.items() if key not in STRIPPED}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="x7Qp2vLm9Rt4Wz8Ns1Kd6Hy3Jb5Fc0Gu-Ae_Ti2Lo8Pw4Mr6Ns9Qv1Xz3",
        ALLOWED_HOSTS="pioneer.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        PIONEER_LOCAL_DIR=str(tmp_path / "local"),
        **extra,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
