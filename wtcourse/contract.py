"""The notebook contract: the one place that states the rules every course tool shares.

Solution markers, metadata keys, exercise-id rules, output MIME types, check
statuses and cell tags live here and nowhere else; generation, execution,
checks, grading, progress and the site import them. This module imports only
the standard library, so a lesson's setup cell can import it cheaply.
"""
from __future__ import annotations

import re

__all__ = [
    "BEGIN_RE", "CHECK_MIME", "CORRECT", "END_RE", "EXERCISE_RE", "META_KEY", "NOT_ATTEMPTED",
    "NOT_RUN", "PLACEHOLDER", "PLOTLY_MIME", "PROBE_MIME", "SOLUTION_TAG", "STATUSES",
    "TAG_CHECK_OUTPUT", "TAG_IGNORE_OUTPUT", "TAG_SKIP", "TIMING_KEYS", "WIDGET_MIME", "WRONG",
]

# --- solution regions (solutions/ -> lessons/) ------------------------------------------
#: A line that opens an answer region: any indentation, one or more ``#``.
BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\s*$")
#: A line that closes an answer region.
END_RE = re.compile(r"^[ \t]*#+\s*END SOLUTION\s*$")
#: A code cell tagged with this is an answer as a whole.
SOLUTION_TAG = "solution"
#: What an answer region becomes in lessons/.
PLACEHOLDER = "...  # YOUR CODE HERE"

# --- exercises ---------------------------------------------------------------------------
#: A markdown heading that starts an exercise: ``### Exercise 1.2 — Title``.
EXERCISE_RE = re.compile(r"^#{1,6}\s*Exercise\s+(?P<id>\d+(?:\.\d+)*)\b", re.MULTILINE)

# --- metadata -----------------------------------------------------------------------------
#: Notebook-level metadata key the course tools own.
META_KEY = "weights_traversal"
#: Cell metadata keys that carry timing (dropped when stored).
TIMING_KEYS = ("execution", "ExecuteTime")

# --- outputs ---------------------------------------------------------------------------------
#: A self-check's machine-readable report (learner side, and ``make progress``).
CHECK_MIME = "application/vnd.weights-traversal.check+json"
#: What a grading probe returns from the student's kernel.
PROBE_MIME = "application/vnd.weights-traversal.probe+json"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# --- check statuses -------------------------------------------------------------------------
CORRECT, WRONG, NOT_ATTEMPTED, NOT_RUN = "correct", "wrong", "not attempted", "not run"
STATUSES = (CORRECT, WRONG, NOT_ATTEMPTED, NOT_RUN)

# --- cell tags (nbval reads these; learners see no test comments) ----------------------------
TAG_CHECK_OUTPUT = "nbval-check-output"
TAG_IGNORE_OUTPUT = "nbval-ignore-output"
TAG_SKIP = "nbval-skip"
