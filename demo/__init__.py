"""The demo county (云溪县): generated registries and a year of history made through the live paths.

Never imported by the product (sync_server, field_app, schemas); `make demo` runs it."""
