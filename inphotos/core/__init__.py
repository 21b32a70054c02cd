"""The engine: scanning, decoding, indexing and search. Plain Python, no Qt."""
