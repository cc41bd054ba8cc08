# Image of the news-streams worker and replayer (see docker-compose.yml).
# torch is installed first on its own: with the exact pin pip picks a single wheel instead of resolving
# it through sentence-transformers. To use a CPU-only wheel index, build with e.g.
#   docker compose build --build-arg PIP_EXTRA_INDEX_URL=<your index>
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1

WORKDIR /app

# Optional extra wheel index (for example a CPU-only torch index); unset by default.
ARG PIP_EXTRA_INDEX_URL

RUN pip install torch==2.13.0

COPY . /app
RUN pip install '.[semantic]'

# Prometheus /metrics of the worker (setting metrics_port / STREAMS_METRICS_PORT).
EXPOSE 9108

CMD ["streams", "worker"]
