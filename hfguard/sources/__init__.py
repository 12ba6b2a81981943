"""Sources: where the blobs to scan come from (folders, git, uploads, Hub repositories)."""
