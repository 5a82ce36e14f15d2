# OmniTensor rollup: developer entry points.
# `make devnet` runs the local system; `make test` runs every test (CI runs exactly this).

VENV      ?= .venv
PY        := $(VENV)/bin/python
PIP       := $(VENV)/bin/pip
OMNIT     := $(VENV)/bin/omnit
PYTEST    := $(VENV)/bin/pytest
TORCH_PIN := torch==2.13.0

.PHONY: install devnet demo test test-fast contracts kernels bench clean

# Python venv (torch pinned first so no CUDA build is pulled) and the Node tools (anvil, cast, solc-js).
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

devnet: install
	$(OMNIT) devnet

demo: install
	$(OMNIT) devnet --demo

# Everything, slow end-to-end tests included (what CI runs).
test: install
	$(PYTEST) -q -ra

# The fast set while iterating: skips tests marked slow.
test-fast: install
	$(PYTEST) -q -ra -m "not slow"

contracts: install
	$(PY) -m bridge_contracts.build

kernels: install
	$(PY) -m kernels.loader --build

bench: install
	$(OMNIT) bench prover --json
	$(OMNIT) bench sequencer --json

clean:
	rm -rf .omnit .pytest_cache build *.egg-info
