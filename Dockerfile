# ML Platform: the web app served by gunicorn.
#   docker build -t ml-platform .
#   docker run -p 8000:8000 -v mlp-data:/data ml-platform
# Embedded mode (default): the app starts its own MongoDB-wire server (SecantusDB) in /data.
# Production: set MLP_PRODUCTION=true with MLP_SECRET_KEY and MLP_ENCRYPTION_KEY (a Fernet key),
# and usually MONGODB_URI (a real MongoDB); see README "Production" and .env.example.
# The pinned wheels (secantusdb, pyarrow, scikit-learn) are x86_64 builds for CPython 3.11.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MLP_DATA_DIR=/data \
    GUNICORN_BIND=0.0.0.0:8000 \
    GUNICORN_STOP_EMBEDDED_DB=true

WORKDIR /app

COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin mlp \
    && mkdir -p /data \
    && chown mlp:mlp /data

# Code stays root-owned (read-only for the app user); only /data is writable.
COPY . .

USER mlp
VOLUME ["/data"]
EXPOSE 8000

# /login renders without touching the database or storage: cheap enough every 30 s.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/login', timeout=4)"]

# Workers, threads and timeouts: gunicorn.conf.py (GUNICORN_WORKERS, GUNICORN_THREADS, ...).
# Give `docker stop` more than gunicorn's 30 s graceful timeout: docker stop -t 45.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"]
