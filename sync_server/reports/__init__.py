"""Reports: the half-year and year figures, charts, the public report pages."""
