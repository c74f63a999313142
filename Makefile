# Weights Traversal — the two commands the README leads with are `make lab`
# and `make test`. Each creates .venv on first use; a later run reinstalls
# nothing unless pyproject.toml changed. Every course command is also
# `python -m wtcourse COMMAND` (run from anywhere inside the course folder).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOWEST := .venv-lowest
# The Python sources ruff checks (notebooks are checked by running them).
PY_SOURCES := gridlib wtcourse tests bench conftest.py .ci/lowest.py

.PHONY: lab test lint lessons solutions grade bench html html-learner progress lesson map test-lowest clean-venv

# pip's own output (and setuptools' build notices) go to a log, not to the learner.
define install
	@start=$$(date +%s); \
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1) || exit 1; \
	{ $(1)/bin/python -m pip install --upgrade pip && \
	  $(1)/bin/python -m pip install $(2) -e '.[course,test]'; } > $(1)/install.log 2>&1 \
	|| { tail -n 25 $(1)/install.log; echo "Installation failed: the whole log is $(1)/install.log"; exit 1; }; \
	rm -rf weights_traversal.egg-info; \
	echo "Installed in $$(( $$(date +%s) - start )) s."
endef

$(STAMP): pyproject.toml
	@echo "First run (or pyproject.toml changed): installing the course into $(VENV)/ —"
	@echo "numpy, scipy, plotly, JupyterLab and the test tools (about 250 MB). This takes"
	@echo "1 to 3 minutes; progress goes to $(VENV)/install.log."
	$(call install,$(VENV),)
	@touch $(STAMP)

## make lab: start JupyterLab on lesson 00 (localhost only, token authentication on); prints the URL last
lab: $(STAMP)
	@$(BIN)/python -m wtcourse lab

## make test: ruff and mypy first (fast), then unit, property and doc tests of gridlib and the tools, and nbval over every notebook
test: $(STAMP) lint
	@$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests (exit status 5): failing"; fi; \
	exit $$status

## make lint: ruff (lint + format check) on the Python sources, mypy on gridlib
lint: $(STAMP)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/mypy

## make test-lowest: the same tests in .venv-lowest, with every dependency at its lowest declared version
$(LOWEST)/.installed: pyproject.toml .ci/lowest.py
	@echo "Building $(LOWEST)/ with the lowest declared versions (numpy 1.26, scipy 1.15, ...):"
	@echo "a few minutes; progress goes to $(LOWEST)/install.log."
	@test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	@$(LOWEST)/bin/python .ci/lowest.py > $(LOWEST)/constraints.txt
	$(call install,$(LOWEST),-c $(LOWEST)/constraints.txt)
	@touch $@

test-lowest: $(LOWEST)/.installed
	@$(LOWEST)/bin/python -m pip freeze --exclude-editable | grep -i -E '^(numpy|scipy|plotly|ipywidgets|jupyterlab|nbclient|nbconvert|pytest)==' | tr '\n' ' '; echo
	$(LOWEST)/bin/python -m pytest

## make lessons: regenerate lessons/ from solutions/ (never overwrites a learner's work)
lessons: $(STAMP)
	$(BIN)/python -m wtcourse lessons

## make solutions: execute every solution notebook in a fresh kernel and store its outputs
solutions: $(STAMP)
	$(BIN)/python -m wtcourse solutions

## make html: execute every solution notebook (in a temporary copy) and write the offline site to site/
html: $(STAMP)
	$(BIN)/python -m wtcourse html --out site

## make html-learner: the learner edition of the site (no answers, no outputs of answer or check cells) in site-learner/
html-learner: $(STAMP)
	$(BIN)/python -m wtcourse html --learner --out site-learner

## make progress: each lesson's exercises in lessons/ (from the saved outputs): correct / wrong / not attempted / never run
progress: $(STAMP)
	@$(BIN)/python -m wtcourse progress

## make lesson NN=06 TITLE="Momentum on the batch bowl": scaffold solutions/NN-topic.ipynb and wtcourse/checks/lNN.py
lesson: $(STAMP)
	@test -n "$(NN)" -a -n "$(TITLE)" || { echo 'usage: make lesson NN=06 TITLE="Momentum on the batch bowl"'; exit 2; }
	$(BIN)/python -m wtcourse lesson $(NN) "$(TITLE)"

## make map: regenerate the course map (README table, lesson 00's map, previous/next cells) from solutions/
map: $(STAMP)
	$(BIN)/python -m wtcourse map --write

## make bench: time gridlib against np.vectorize, scipy brute and broadcasting (writes bench/results.json, bench/RESULTS.md)
bench: $(STAMP)
	$(BIN)/python bench/run.py

## make grade SUBMISSIONS=dir: grade submissions, each in a bubblewrap sandbox (writes grades.csv, grades.json, feedback/)
SUBMISSIONS ?= submissions
grade: $(STAMP)
	$(BIN)/python -m wtcourse grade $(SUBMISSIONS) --out .

clean-venv:
	rm -rf $(VENV) $(LOWEST)
