"""Disclosure and follow-ups: the publication list and its statutory deadlines, rectification, transfers, the work calendar."""
