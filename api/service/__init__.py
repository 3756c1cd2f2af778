"""The HTTP review service (FastAPI): stored, immutable review records behind bearer tokens."""
