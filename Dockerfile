# Production image: gunicorn (web), Celery worker and beat all run from this one image with
# DJANGO_SETTINGS_MODULE=maternal_safety.settings.production; docker-compose.yml picks the command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=maternal_safety.settings.production \
    WEB_CONCURRENCY=2

WORKDIR /app

# Dependencies first (cached while only application code changes). pyproject.toml declares no
# importable packages: `pip install .` installs the dependencies; the code runs from /app.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are collected (hashed + compressed by WhiteNoise) at build time. Production settings
# require SECRET_KEY and ALLOWED_HOSTS; these throwaway values exist only for this build step.
ARG SECRET_KEY=build-only-dummy-secret-key-not-used-at-runtime
RUN SECRET_KEY="$SECRET_KEY" ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput

RUN useradd --system --create-home --uid 10001 app && chown -R app:app /app/staticfiles
USER app

EXPOSE 8000
# Number of workers: WEB_CONCURRENCY (gunicorn reads it itself; default 2 above).
CMD ["gunicorn", "maternal_safety.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
