import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_all_components_ok(client, settings):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    if settings.REDIS_URL:  # make test: the real components answered
        assert body["checks"]["database"]["vendor"] == "postgresql"
        assert body["checks"]["cache"]["backend"] == "RedisCache"
        assert body["checks"]["broker"]["mode"] == "redis"


def _redis_cache(url):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_healthz_answers_503_when_redis_is_down(client, redis_factory):
    redis = redis_factory()
    with override_settings(CACHES=_redis_cache(redis.url), CELERY_BROKER_URL=redis.url):
        healthy = client.get(reverse("healthz"))
        assert healthy.status_code == 200, healthy.json()

        redis.stop()
        caches["default"].close()
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "down"
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["cache"]["error"]  # says what failed


def test_healthz_needs_no_sign_in_and_leaks_nothing(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert set(response.json()) == {"status", "checks"}
