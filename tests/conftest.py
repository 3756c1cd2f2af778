"""Test data holds a frozen rulebook (tests/data/rules) whose cases must not be collected as rule cases.

The CLI caches loaded rulebooks (engine/rulecache.py); the tests and the commands they start use a folder of
their own, never the user's ~/.cache."""
import os
import tempfile

collect_ignore_glob = ["data/*"]

if "PREREVIEW_CACHE_DIR" not in os.environ:
    os.environ["PREREVIEW_CACHE_DIR"] = tempfile.mkdtemp(prefix="prereview-test-cache-")
