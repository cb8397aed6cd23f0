"""Planning and draws: annual plans, tasks, the public draw (DRAW_SPEC.md), visits and the tablets' feed."""
