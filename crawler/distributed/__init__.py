"""Crawl jobs on many machines, with Redis as the one shared engine (redis-py, scrapy-redis).

``blogarc enqueue`` puts a job's blogs in Redis (``jobs.JobQueue``); ``blogarc worker`` on any number of machines
claims blogs from it, each under a lease it renews while it lives, and crawls them with the one-machine crawl path
(``crawler.runner.JobRunner``, ``BlogSpider``, the same store, WARCs, text, state and manifests: ``worker.Worker``).
Each blog's frontier lives in Redis while it is crawled (scrapy-redis's persistent scheduler and dupefilter,
``frontier``), with the requests taken from it but not yet durable in the store, so a blog whose worker died is
taken over when its lease expires and goes on from there (``durable``: what "durable" means). ``blogarc jobs``
shows a job. Redis holds only queue state; everything archived is in the store.

Modules: ``connection`` (the client, URL redaction, Redis down at start), ``scripts`` (the Lua scripts: every claim,
renewal and hand-over is one atomic script), ``jobs`` (jobs and leases), ``frontier`` (one blog's requests in
Redis), ``durable`` (when a fetched request may leave the frontier), ``components`` (the Scrapy scheduler and
middlewares), ``leftovers`` (what a dead worker left in this machine's spool), ``worker`` (the worker itself).
"""
