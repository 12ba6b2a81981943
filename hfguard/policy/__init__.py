"""Policy: the config (pyproject [tool.hfguard] / .hfguard.toml), path patterns, the baseline and
inline allow pragmas, and the verdict on each match (suppressed, severity, blocking).
"""
