# TEMPORARY shim for player/ until the move lands; remove
from core.errors import UserError

__all__ = ["UserError"]
