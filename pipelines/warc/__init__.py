"""Capture: every HTTP exchange as WARC/1.1 records.

records: pure builders; files: rolling ``.open`` files and their repair; cdxj: indexes; exporter: the Scrapy
extension that captures.
"""
