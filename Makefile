# Two commands set up a fresh machine and run the project (see README.md):
#   make train   # creates .venv, installs, trains the default config offline
#   make test    # creates .venv, installs, runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is installed on its own first so that the `torch>=2.1` requirement never pulls a multi-GB
# CUDA build on a CPU machine. Here pip takes the CPU wheel of 2.13.0 from the local wheel folder;
# on a GPU machine the same spec takes PyPI's CUDA build, or pass your own, e.g.
#   make train TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"
TORCH_SPEC ?= torch==2.13.0
ARGS ?=
PYTEST_ARGS ?=

# `make package` trains the default run (RUN) and exports it (PKG) when PKG has no package yet;
# tag and serve use it, or any package given as PKG=path
RUN ?= outputs/default-run
DEFAULT_PKG := packages/default
PKG ?= $(DEFAULT_PKG)
IN ?= data/sample/test
OUT ?= outputs/tagged/sample-test.jsonl
PORT ?= 8000

.PHONY: setup chromium train test test-slow package tag serve view clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_SPEC)
	$(BIN)/python -m pip install -q -e ".[all]"
	touch $@

# the viewer's browser test drives Debian's chromium through Playwright (Playwright's own browser
# download is not used); installed with apt-get only where /usr/bin/chromium is absent
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium \
		|| echo "make: could not apt-get install chromium: the browser test will skip (and fail under CI=true)"; \
	else echo "make: no /usr/bin/chromium and no apt-get: install Chromium there (or set CHROMIUM=PATH); the browser test will skip (and fail under CI=true)"; fi

setup: $(BIN)/.installed chromium

train: setup
	HF_HUB_OFFLINE=1 $(BIN)/python scripts/train.py $(ARGS)

# pytest's exit code 5 (no test collected) fails the target like any other, with its cause said.
NO_TESTS = || { rc=$$?; [ $$rc -ne 5 ] || echo "pytest collected no test (exit 5): check the selection and markers" >&2; exit $$rc; }

test: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q $(PYTEST_ARGS) $(NO_TESTS)

# the slow tests (real data, trained runs through packages and wheels, 2-process training, a real
# sweep); .ci/run runs them after `make test`
test-slow: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -m slow $(PYTEST_ARGS) $(NO_TESTS)

package: setup
	@if [ ! -f $(PKG)/manifest.json ]; then \
		if [ "$(PKG)" != "$(DEFAULT_PKG)" ]; then echo "make: $(PKG) holds no package (no manifest.json)" >&2; exit 2; fi; \
		[ -f $(RUN)/model/tagger.json ] || HF_HUB_OFFLINE=1 $(BIN)/python scripts/train.py hydra.run.dir=$(RUN) || exit $$?; \
		HF_HUB_OFFLINE=1 $(BIN)/python scripts/export.py run_dir=$(RUN) output_dir=$(PKG) export.overwrite=true || exit $$?; \
	fi

# the three commands of the README's "Serving and tagging archives" (offline; the first call
# trains and exports the default package, about 3 minutes on 2 cores)
tag: package
	HF_HUB_OFFLINE=1 $(BIN)/arabic-ie tag $(PKG) $(IN) -o $(OUT) $(ARGS)

serve: package
	HF_HUB_OFFLINE=1 $(BIN)/arabic-ie serve $(PKG) --port $(PORT) $(ARGS)

view:
	$(PYTHON) -m webbrowser http://127.0.0.1:$(PORT)/

clean:
	rm -rf $(VENV) outputs
