"""Reports: a scan's findings as text for people, JSON (the version 1 contract) and SARIF 2.1.0.
"""
