"""Store: where archives land, and how files get there.

base: the ``Store`` protocol and the local folder; s3; spool: files on their way; shipper: the one path from
the spool to the store.
"""
