"""Archive tools: what archivists do with a store, without a crawl.

catalog, lookup, download, verify, wacz, replay.
"""
