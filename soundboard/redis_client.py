# TEMPORARY shim for player/ until the move lands; remove
from core.redis_client import sync_client

__all__ = ["sync_client"]
