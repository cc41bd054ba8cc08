# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Apache Kafka's jars (Maven Central), for the `apache_kafka` test tier and `streams demo --broker kafka`.
KAFKA_VERSION := $(shell sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' deploy/kafka/pom.xml)
KAFKA_LIB     := .kafka/$(KAFKA_VERSION)/lib

.PHONY: demo test test-fast lint install prometheus kafka dashboard-snapshot clean

demo: $(STAMP)
	$(BIN)/python -m streams demo $(ARGS)

# Two test processes (pytest-xdist), one module (or a group of modules sharing a session run, tests/conftest.py) at a time
# each: the broker tests spend much of their time waiting (group joins, the broker outage), the other process
# fills it; see docs/testing.md. TEST_PROCESSES=0 runs in one process.
TEST_PROCESSES ?= 2

test: $(STAMP) prometheus kafka lint
	$(BIN)/python -m pytest -q -n $(TEST_PROCESSES) --dist loadscope --no-loadscope-reorder $(ARGS)

# The tests that need no broker and no Prometheus server (minutes); tests/no_broker.py fails the run if one starts.
test-fast: $(STAMP) lint
	$(BIN)/python -m pytest -q -p tests.no_broker -m "not kafka and not apache_kafka and not prometheus" $(ARGS)

# Style and types: ruff (lint + import order) and mypy, both configured in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check streams tests deploy
	$(BIN)/mypy

install: $(STAMP)

# torch pinned and first; from PyPI it is the CUDA build (several GB, runs on the CPU): see docs/operations.md.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[semantic,dev]'
	touch $(STAMP)

# The Prometheus server (and promtool) for the dashboard/alert-rule test; Debian package.
prometheus:
	@command -v prometheus >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null) \
	    || echo "warning: could not install prometheus; its test will be skipped"; \
	  else echo "warning: prometheus not installed (needs root: apt-get install prometheus); its test will be skipped"; fi; }

# The dashboard's queries from a real Prometheus (broker, 2 workers, feed poller, generated articles for
# 90 s) drawn with matplotlib into docs/dashboard.png; see deploy/grafana/snapshot.py.
dashboard-snapshot: $(STAMP) prometheus
	$(BIN)/python deploy/grafana/snapshot.py --out docs/dashboard.png $(ARGS)

# Fetched once per version and pom (a stamp file), then a no-op. Without java or mvn: one line, and the tier is skipped.
kafka: $(KAFKA_LIB)/.complete

$(KAFKA_LIB)/.complete: deploy/kafka/pom.xml
	@if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then \
	  echo "warning: java or mvn not installed: the Apache Kafka $(KAFKA_VERSION) tests (pytest -m apache_kafka) will be skipped"; \
	else mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/$(KAFKA_LIB) \
	  && touch $@; fi

clean:
	rm -rf $(VENV) .streams-data .pytest_cache .kafka
