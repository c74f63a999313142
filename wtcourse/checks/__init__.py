"""Per-lesson self-check modules: ``lNN.py`` for lesson NN (see wtcourse.checking)."""
