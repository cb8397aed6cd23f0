"""The database seam: connections, transactions, the dialect, migrations, the office's settings."""
