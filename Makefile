# The two commands from README.md: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench bench-instant bench-grid bench-models bench-gpu soak bundle bundle-test install-desktop uninstall-desktop icons clean bench-duplicates test-cluster bench-cluster

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

# The Ray cluster tests (tests/cluster): a local head with two CPU workers, indexing through it
# in both read modes, a worker killed mid-run, a stopped run resumed. Not in `make test`: each
# run starts workers that import torch, over 90 s on a 2-core machine. Needs Ray (the test extra).
test-cluster: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m cluster tests/cluster

# Indexing on a local Ray cluster against local indexing, same photos, same run; writes the
# cluster section of docs/benchmarks.md. By hand.
bench-cluster: $(VENV)/.installed-test
	$(BIN)/python -m bench.cluster $(BENCH_ARGS)

# Speed and memory figures: writes bench/results.json and docs/benchmarks.md (~30 min the
# first time, data kept in bench/.data). Run by hand on a quiet machine; not part of `make test`.
bench: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench.run $(BENCH_ARGS)

# A CLI search from cold (side by side with rclip, when `rclip` is on PATH or in $$RCLIP), with
# the app open, and how soon the app answers searches; writes docs/benchmarks.md. By hand.
bench-instant: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench.instant $(BENCH_ARGS)

# Each recommended model (random weights): indexing speed fp32/bf16, text query, memory. By hand.
# Scroll a 100,000-photo timeline from the newest photo to the oldest; frame times into
# docs/benchmarks.md. By hand.
bench-grid: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench.grid_scroll $(BENCH_ARGS)

bench-models: $(VENV)/.installed-test
	$(BIN)/python -m bench.models $(BENCH_ARGS)

# The whole GPU check in one run, on a machine with a CUDA GPU (a few minutes): the app's
# indexing end to end with the model on the GPU, an nvJPEG batch-decode probe, and the cosine
# of both to the CPU fp32 path; writes bench/results-gpu.json. By hand.
bench-gpu: $(VENV)/.installed-test
	$(BIN)/python -m bench.gpu $(BENCH_ARGS)
# Duplicates: the cost of finding a photo's copies as it is indexed, and the Duplicates
# window's data at 1M photos; writes docs/benchmarks.md. By hand.
bench-duplicates: $(VENV)/.installed-test
	$(BIN)/python -m bench.duplicates $(BENCH_ARGS)

# Reliability soak: index 20,000 small generated photos, then 1,000 searches; fails if a photo
# is skipped, a search comes back short or memory grows after warm-up. A few minutes; by hand.
soak: $(VENV)/.installed-test
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

$(VENV)/.installed-bundle: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[bundle]'
	touch $@ $(VENV)/.installed-run

# The double-click app: dist/InPhotos/ (dist/InPhotos.app on macOS) with the windowed
# inphotos-gui and the console inphotos. It bundles whichever torch .venv has: see README.md
# ("Building the app yourself") for the small CPU-only build a release should use.
bundle: $(VENV)/.installed-bundle
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN inphotos.spec

# Run the built app's --self-test (both executables) outside the source tree, with no
# Python environment around it, as a user's machine would; report its size and time.
BUNDLE_DIR = $(if $(wildcard dist/InPhotos.app),dist/InPhotos.app,dist/InPhotos)
BUNDLE_BIN = $(if $(wildcard dist/InPhotos.app),$(BUNDLE_DIR)/Contents/MacOS,$(BUNDLE_DIR))
bundle-test: SHELL := /bin/bash
bundle-test:
	@test -x $(BUNDLE_BIN)/inphotos-gui || { echo "No bundle in dist/: run make bundle first" >&2; exit 1; }
	@du -sh $(BUNDLE_DIR)
	cd / && time env -i HOME="$$HOME" PATH=/usr/bin:/bin LANG="$${LANG:-C.UTF-8}" DISPLAY="$${DISPLAY:-}" \
		"$(CURDIR)/$(BUNDLE_BIN)/inphotos-gui" --self-test
	cd / && env -i HOME="$$HOME" PATH=/usr/bin:/bin LANG="$${LANG:-C.UTF-8}" "$(CURDIR)/$(BUNDLE_BIN)/inphotos" --self-test >/dev/null
	cd / && env -i HOME="$$HOME" PATH=/usr/bin:/bin LANG="$${LANG:-C.UTF-8}" "$(CURDIR)/$(BUNDLE_BIN)/inphotos" --version

# Add the app to this user's application menu (Linux); uninstall-desktop takes it out again.
install-desktop:
	sh packaging/install-desktop.sh

uninstall-desktop:
	sh packaging/install-desktop.sh --uninstall

# The app icon's PNG, .ico and .icns files, from resources/icons/inphotos.svg (needs rsvg-convert).
icons: $(VENV)/.installed-run
	$(BIN)/python packaging/make_icons.py

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
