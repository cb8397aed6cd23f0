"""The office console's pure rules."""
