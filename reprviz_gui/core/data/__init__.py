"""Data formats: one module per format, the in-memory Dataset, splits and sample sets."""
