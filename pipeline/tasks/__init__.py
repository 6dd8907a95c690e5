"""Task libraries: what the stage scripts call for each task."""

#: Every task of DESIGN section 3.
TASKS = ("g2p", "lm", "classify", "forecast", "synthetic")
