"""Course tooling for Weights Traversal, beside the numeric library gridlib.

One command line, ``python -m wtcourse COMMAND`` (or ``wtcourse COMMAND``)::

    lab        start JupyterLab on lesson 00 and print its link (make lab)
    lessons    generate lessons/ from solutions/ (make lessons)
    solutions  execute solutions/ and store their outputs (make solutions)
    lesson     scaffold a new lesson and its checks (make lesson NN=06 TITLE="...")
    map        check or regenerate every list of lessons (make map)
    progress   each lesson's exercise statuses from the saved notebooks (make progress)
    key        the hashed key of a multiple-choice answer
    grade      grade submitted notebooks: runs their code (make grade)
    html       the static site (make html)

:mod:`wtcourse.contract` states the rules every tool shares; :mod:`wtcourse.paths` finds
the course folder. Importing this package imports nothing heavy: nbformat/nbclient are
imported only by the commands that need them; learners import just
:mod:`wtcourse.checking` and their lesson's :mod:`wtcourse.checks` module.
"""
