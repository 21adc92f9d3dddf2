"""Written by tools/generate_stream.py only."""
