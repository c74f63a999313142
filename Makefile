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
# Token authentication stays on (Jupyter's default); --allow-root only when run as root (containers, CI).
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) \
		$(if $(filter 0,$(shell id -u)),--allow-root) lessons/00-start-here.ipynb

## make test: unit, property and doc tests of gridlib; nbval over every notebook
test: $(STAMP)
	$(BIN)/python -m pytest

## make lessons: regenerate lessons/ from solutions/ (never overwrites a learner's work)
lessons: $(STAMP)
	$(BIN)/python -m wtcourse lessons

## make solutions: execute every solution notebook in a fresh kernel and store its outputs
solutions: $(STAMP)
	$(BIN)/python -m wtcourse solutions

## make html: execute every solution notebook (in a temporary copy) and write the offline site to site/
html: $(STAMP)
	$(BIN)/python -m wtcourse.html --out site

## make bench: time gridlib against np.vectorize, scipy brute and broadcasting (writes bench/results.json, bench/RESULTS.md)
bench: $(STAMP)
	$(BIN)/python bench/run.py

## make grade SUBMISSIONS=dir: grade submitted notebooks (this RUNS their code: use a sandbox)
SUBMISSIONS ?= submissions
grade: $(STAMP)
	$(BIN)/python -m wtcourse grade $(SUBMISSIONS) --out grades.csv --json grades.json

clean-venv:
	rm -rf $(VENV)
