"""Per-lesson self-check modules: ``lNN.py`` for lesson NN (see gridlib.course.checking)."""
