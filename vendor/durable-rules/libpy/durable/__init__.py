__version__ = "2.0.28+prereview.1"  # prereview: the vendored, patched copy (../../README.prereview.md)
import logging

logger = logging.getLogger(__name__)
