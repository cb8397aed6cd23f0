"""The platform's pure rules: codes, levels, the hierarchy."""
