"""Runs: the bookkeeping around a crawl.

state: what incremental runs know of each URL; sitelock: one run per site; incremental: the extension that owns
both; manifest: what a run stored.
"""
