"""Copies of one document across sources: found at ingest, linked, shown.

``sketch`` turns a body into word shingles and a MinHash sketch (numpy) banded into
keys; ``links`` stores the keys, finds the documents that share one, measures the real
overlap of their shingles and records the link (*same document* or *contains*).
"""
