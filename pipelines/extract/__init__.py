"""Extract: a page's clean text, metadata and comments.

core, boilerplate, comments, metadata; pool: worker processes; rerun: re-extraction from WARCs. No Scrapy
here: it runs without a crawl.
"""
