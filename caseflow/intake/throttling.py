"""Rate limit of the partner API: per token, not per IP address (``CASEFLOW_API_RATE``)."""

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import PartnerToken

logger = logging.getLogger(__name__)


class PartnerTokenThrottle(SimpleRateThrottle):
    """``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["partner"]`` requests per period for each
    token; over it, DRF answers 429 with ``Retry-After``. Counts live in Django's cache
    (Redis), so every worker process shares them."""

    scope = "partner"

    def get_rate(self):
        # Read at request time (DRF's class attribute is bound at import), so a changed
        # setting takes effect without a restart of the class.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        # Redis down: partners keep submitting (the rate limit protects the service, not
        # the data; every request is still authenticated and audited).
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - any cache backend error
            logger.warning("API rate limit unavailable (cache down); not limiting")
            return True

    def get_cache_key(self, request, view):
        token = request.auth
        if not isinstance(token, PartnerToken):
            return None  # not a partner request (e.g. the public schema): not throttled here
        # The prefix keeps keys apart when several databases share one Redis (tests).
        return self.cache_format % {"scope": self.scope, "ident": f"{token.pk}-{token.prefix}"}
