"""Course machinery for Weights Traversal: lessons, solutions, grading, self-checks.

``python -m gridlib.course lessons``    generate lessons/ from solutions/
``python -m gridlib.course solutions``  execute solutions/ and store outputs
``python -m gridlib.course grade ...``  grade submitted notebooks (runs their code)

Importing this package imports nothing heavy: nbformat/nbclient are imported
only by ``generate``, ``execute`` and ``grade``; learners import just
:mod:`gridlib.course.checking`.
"""
