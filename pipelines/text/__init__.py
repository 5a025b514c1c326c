"""Text: the clean-text record and its batches.

record: the one TextRecord (its JSON Schema, text-record.schema.json, is the single source); batches: records
appended durably to spool files, closed into ``.jsonl.gz`` + Parquet; pipeline: the crawl's item pipeline that
writes them; parquet: the Parquet twin.
"""
