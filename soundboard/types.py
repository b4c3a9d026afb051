# TEMPORARY shim for player/ until the move lands; remove
from web.types import AuthedRequest

__all__ = ["AuthedRequest"]
