# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install prometheus dashboard-snapshot clean

demo: $(STAMP)
	$(BIN)/python -m streams demo $(ARGS)

test: $(STAMP) prometheus
	$(BIN)/python -m pytest -q $(ARGS)

install: $(STAMP)

# torch first: pip takes the local CPU wheel for the exact pin instead of a multi-GB CUDA build.
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

clean:
	rm -rf $(VENV) .streams-data .pytest_cache
