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

.PHONY: setup train test test-slow clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_SPEC)
	$(BIN)/python -m pip install -q -e ".[all]"
	touch $@

setup: $(BIN)/.installed

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

clean:
	rm -rf $(VENV) outputs
