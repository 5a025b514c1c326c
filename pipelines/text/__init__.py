"""Text: the clean-text record and its batches.

record: the one TextRecord (its JSON Schema, text-record.schema.json, is the single source); parquet: the
Parquet twin; feed: batches written through the store.
"""
