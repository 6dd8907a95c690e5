"""Task libraries: what the stage scripts call for each task."""
