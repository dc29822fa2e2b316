# Shortcuts for dev.py, which needs only Python (see its docstring): make run | test | eval | bench.
PYTHON ?= python3
ARGS   ?=

.PHONY: run test eval bench lint clean

run test eval bench:
	$(PYTHON) dev.py $@ $(ARGS)

lint:
	$(PYTHON) dev.py test --co -q >/dev/null && .venv/bin/python -m ruff check . && .venv/bin/python -m mypy

clean:
	rm -rf .venv build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .nianbao
