# Bootstraps nox into .venv with nothing but python3, then hands every task to nox.
PYTHON ?= python3
VENV := .venv
NOX := $(VENV)/bin/nox
NOX_VERSION := 2026.10.20

.PHONY: test quickstart lint clean

$(NOX):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet "nox==$(NOX_VERSION)"

test: $(NOX)
	$(NOX) -s lint tools test integration

quickstart: $(NOX)
	$(NOX) -s quickstart

lint: $(NOX)
	$(NOX) -s lint

clean:
	rm -rf $(VENV) .nox dist bench-results
