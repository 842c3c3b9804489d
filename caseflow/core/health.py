"""Health checks of the components Caseflow depends on: database, cache, broker."""

import logging
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from kombu import Connection

logger = logging.getLogger(__name__)

STATUS_OK = "ok"
STATUS_DOWN = "down"


def check_database() -> dict:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the type goes to the reply
        logger.warning("Health check: database unreachable (%s)", type(exc).__name__)
        return {"status": STATUS_DOWN, "error": type(exc).__name__}
    return {"status": STATUS_OK, "vendor": connections["default"].vendor}


def check_cache() -> dict:
    cache = caches["default"]
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        logger.warning("Health check: cache unreachable (%s)", type(exc).__name__)
        return {"status": STATUS_DOWN, "error": type(exc).__name__}
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    if not ok:
        return {"status": STATUS_DOWN, "error": "read-back mismatch", "backend": backend}
    return {"status": STATUS_OK, "backend": backend}


def check_broker() -> dict:
    broker_url = settings.CELERY_BROKER_URL
    if broker_url.startswith("memory://"):
        # Eager mode: tasks run in-process after commit; there is no broker to lose.
        return {"status": STATUS_OK, "mode": "eager"}
    try:
        with Connection(broker_url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:
        logger.warning("Health check: broker unreachable (%s)", type(exc).__name__)
        return {"status": STATUS_DOWN, "error": type(exc).__name__}
    return {"status": STATUS_OK, "mode": "redis"}


def health_report() -> tuple[bool, dict]:
    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
    }
    healthy = all(c["status"] == STATUS_OK for c in checks.values())
    return healthy, {"status": STATUS_OK if healthy else STATUS_DOWN, "checks": checks}
