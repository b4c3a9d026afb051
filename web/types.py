"""Request types for views and API operations that only run for signed-in users."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class AuthedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
