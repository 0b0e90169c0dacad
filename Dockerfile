# motcua in a container: Python 3.10 (Rasa 3.6 needs 3.8-3.10), the model trained at build time.
#   docker compose up -d --build         (compose.yml: the assistant and the scheduler, data on a volume)
# The build trains the model (about 7 minutes on 2 cores); the image then starts in seconds.
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOTCUA_DB=/data/motcua.db \
    MOTCUA_TRACKER_DB=/data/tracker.db \
    MOTCUA_BACKUP_DIR=/data/backups \
    MOTCUA_WEB_HOST=0.0.0.0 \
    MOTCUA_WEB_PORT=8080

WORKDIR /app
RUN useradd --create-home --uid 1000 motcua && mkdir -p /data && chown motcua:motcua /data

COPY . .
# editable: Settings finds data/ and models/ beside the code, in /app
RUN pip install --no-cache-dir 'uv>=0.13,<0.14' \
 && uv pip install --system --no-cache -c constraints.txt -e . \
 && motcua train \
 && mkdir -p var && chown -R motcua:motcua /app/models /app/var

USER motcua
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=8).status == 200 else 1)"
# `docker stop` sends SIGTERM: motcua answers the messages under way and stops (stop_grace_period in compose.yml)
CMD ["sh", "-c", "motcua load && exec motcua serve --no-scheduler"]
