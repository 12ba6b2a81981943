"""Sources: what a scan reads, as blobs with a path to show: a folder walk, the git index and
commit ranges (Git LFS objects resolved), what an upload sends, and `hf://` Hub repositories."""
