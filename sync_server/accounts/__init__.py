"""Accounts: officers, devices and their keys, enrollment, admin tokens, office sessions, sign-in throttling."""
