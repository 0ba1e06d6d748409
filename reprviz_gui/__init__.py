"""reprviz: a desktop lab for seeing what a neural network has learned."""

__version__ = "0.1.0"
