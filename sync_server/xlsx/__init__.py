""".xlsx files: the reader for imports (python-calamine behind size checks) and the one writer, for exports and reports."""
