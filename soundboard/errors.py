# TEMPORARY shim for player/, credits/services.py and sounds/services.py until the move lands; remove
from core.errors import UserError

__all__ = ["UserError"]
