"""The platform: offices in a hierarchy, each with its own database and its own path (/o/<code>/)."""
