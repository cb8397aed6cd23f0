""".xlsx files: a streaming reader for imports and a writer for exports and reports."""
