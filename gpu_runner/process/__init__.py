"""Process plumbing: each measurement in a fresh child process (or inline, for tests)."""
