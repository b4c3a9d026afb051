"""The bottom layer every app may import: the refusal type, the shared Redis client, the cache backend.

It imports nothing from the project, so nothing here can take part in an import cycle.
"""
