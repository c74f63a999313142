"""Course machinery for Weights Traversal: lessons, solutions, grading, self-checks.

``python -m wtcourse lessons``    generate lessons/ from solutions/
``python -m wtcourse solutions``  execute solutions/ and store outputs
``python -m wtcourse grade ...``  grade submitted notebooks (runs their code)

Importing this package imports nothing heavy: nbformat/nbclient are imported
only by ``generate``, ``execute`` and ``grade``; learners import just
:mod:`wtcourse.checking`.
"""
