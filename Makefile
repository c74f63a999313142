# Weights Traversal — the two commands the README leads with are `make lab`
# and `make test`. Each creates .venv on first use; a later run reinstalls
# nothing unless pyproject.toml changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test lessons solutions grade bench html clean-venv

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[course,test]'
	@touch $(STAMP)

## make lab: start JupyterLab on the course (localhost only, token authentication on)
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) lessons/00-start-here.ipynb

## make test: unit, property and doc tests of gridlib; nbval over every notebook
test: $(STAMP)
	$(BIN)/python -m pytest

## make lessons: regenerate lessons/ from solutions/ (never overwrites a learner's work)
lessons: $(STAMP)
	$(BIN)/python -m gridlib.course lessons

## make solutions: execute every solution notebook in a fresh kernel and store its outputs
solutions: $(STAMP)
	$(BIN)/python -m gridlib.course solutions

clean-venv:
	rm -rf $(VENV)
