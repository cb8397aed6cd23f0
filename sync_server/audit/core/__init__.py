"""Pure rules: no I/O, no database, no HTTP (checked by tests/unit/test_layers.py)."""
