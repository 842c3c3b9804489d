"""Responses that carry personal data are never stored by a browser or a proxy.

Every dynamic response (pages, downloads, exports, JSON, the API) gets
``Cache-Control: no-store, private``: a shared computer's browser cache, its back
button after sign-out or a proxy in the municipality's network must not keep a case
page. Static files are served by WhiteNoise before this middleware runs and keep their
long-lived caching.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cache_control = response.get("Cache-Control", "")
        if "public" in cache_control or "max-age" in cache_control:
            # Nothing of ours is public: a view that asked for caching loses it.
            del response["Cache-Control"]
        patch_cache_control(response, no_store=True, private=True)
        response.setdefault("Pragma", "no-cache")
        return response
