"""Shared plumbing of the HTML side: middleware, the page shell, refusals as toasts or messages, error pages.

The top layer: it may import any app, and no app's models or services import it (views and API operations
use its request type and helpers).
"""
