"""Secret detection: rules as data (rules/*.toml, gitleaks' field names), the keyword-prefiltered
regex engine, validators (checksums, formats) and detect-secrets' heuristics for placeholders.
"""
