"""Background work: lanes (QThreads) and the jobs they run."""
