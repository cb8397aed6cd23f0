"""SQL for this domain, and only SQL (checked by tests/unit/test_layers.py)."""
