"""Store: where archives land, and how files get there.

base: the ``Store`` protocol and the local folder; s3 (+ s3options); spool: files on their way; shipper: the one
path from the spool to the store; uploads: the crawl's queue onto the shipper; reader: ranged reads of objects.
"""
