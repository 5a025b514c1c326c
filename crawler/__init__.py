"""blogarc crawler: what to fetch, in what order, and the ``blogarc`` command on top."""
