from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import health_report


@never_cache
@require_GET
def healthz(request):
    """JSON status of database, cache and broker; 503 when any is down.

    Carries no personal data, so it needs no sign-in (load balancers call it)."""
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
