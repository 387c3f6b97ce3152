# The developer loop: `make demo`, `make test`, `make lint`. CI runs `.ci/run`, which runs `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_PORT ?= 8765
DEMO_DIR ?= demo-archive

.PHONY: install demo test lint clean bench-extraction bench-search bench-crawl

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m crawler.demo run --port $(DEMO_PORT) --archive $(DEMO_DIR)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Extraction quality and speed on ../shared/corpus/dev, scored by the corpus's score.py.
bench-extraction: install
	$(PY) tests/benchmarks/bench_extraction.py

# Search latency on an archive of N articles built from corpus text, SQLite and PostgreSQL.
N ?= 1000000
bench-search: install
	$(PY) tests/benchmarks/bench_search.py --articles $(N)

# The full crawl (mirror of N corpus pages, local server, every stage, fresh SQLite archive)
# against the extraction-only limit of this machine, measured in the same run.
bench-crawl: install
	$(PY) tests/benchmarks/bench_crawl.py --pages $(or $(filter-out 1000000,$(N)),10000) $(ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache *.egg-info
