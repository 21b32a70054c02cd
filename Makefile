# The two commands from README.md: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench bundle bundle-test install-desktop uninstall-desktop icons clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/inphotos

lint: $(VENV)/.installed-test
	$(BIN)/ruff check inphotos tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The app icon's PNG, .ico and .icns files, from resources/icons/inphotos.svg (needs rsvg-convert).
icons: $(VENV)/.installed-run
	$(BIN)/python packaging/make_icons.py

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
