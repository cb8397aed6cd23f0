"""The tablet's state by concern, with no UI: services (made once at start), who I am, today's
work, sync, the leader's review, re-inspections. `field_app/app_state.py` puts them together."""
