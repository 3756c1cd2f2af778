"""Test data holds a frozen rulebook (tests/data/rules) whose cases must not be collected as rule cases."""
collect_ignore_glob = ["data/*"]
