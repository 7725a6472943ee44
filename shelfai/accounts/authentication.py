"""Token sign-in for API clients that also applies the person's language and time zone.

``UserPreferencesMiddleware`` applies a signed-in user's profile on every page, but DRF signs a token
client in inside the view, after the middleware ran: without this, a Chinese rep's phone app or a
script using their token got the browser rule only (``Accept-Language``), not the profile.
"""

from __future__ import annotations

from rest_framework.authentication import TokenAuthentication

from shelfai.accounts.middleware import apply_preferences


class ProfileTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        signed_in = super().authenticate(request)
        if signed_in is not None:
            apply_preferences(signed_in[0], request)
        return signed_in
