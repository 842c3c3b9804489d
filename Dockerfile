# Caseflow application image: web (gunicorn), Celery worker and Celery beat all run from
# it; docker-compose.yml chooses the command (scripts/stack.py compose_command()).
#
#   docker compose build
#
# The sources are copied one by one below (and .dockerignore excludes the rest), so that
# .venv/, var/ (databases, var/stack/secrets.env) and .git/ never reach the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=caseflow.settings \
    CASEFLOW_DEBUG=false \
    CASEFLOW_STATIC_ROOT=/app/var/static \
    CASEFLOW_MEDIA_ROOT=/app/var/media

RUN groupadd --system --gid 10001 caseflow \
    && useradd --system --uid 10001 --gid caseflow --create-home --home-dir /home/caseflow \
       --shell /usr/sbin/nologin caseflow

WORKDIR /app

COPY pyproject.toml manage.py ./
COPY caseflow ./caseflow
COPY workflows ./workflows
COPY permissions ./permissions
COPY templates ./templates
# Danish catalogue (the compiled .mo is committed).
COPY locale ./locale

# Installs the project and its dependencies from pyproject.toml. The code then runs from
# /app (PYTHONPATH): templates/ and the static assets live in the source tree, not in the
# wheel, and settings.BASE_DIR must point at /app.
RUN pip install . \
    && rm -rf /app/build /app/*.egg-info

# Static files are collected into the image and served by WhiteNoise. collectstatic needs
# production keys to import the settings; these throwaway values exist only for this one
# command (they are not ENV, so they are not in the image's configuration).
RUN CASEFLOW_SECRET_KEY=build-only-collectstatic-not-a-secret-0000000000000000000000 \
    CASEFLOW_CPR_KEY=build-only-collectstatic-not-a-secret-00000 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media \
    && chown caseflow:caseflow /app/var/media

USER caseflow

EXPOSE 8000

# The same argv as compose_command("web") in scripts/stack.py.
CMD ["gunicorn", "caseflow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--graceful-timeout", "30", "--access-logfile", "-", "--access-logformat", "%(h)s %(t)s \"%(m)s %(U)s\" %(s)s %(b)s %(M)sms", "--error-logfile", "-"]
