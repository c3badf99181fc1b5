"""The peer's views that dj-rest-auth and simplejwt do not already provide."""
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


def healthz(request):
    """Bare: plain Django, no DRF, no authentication (the template's GET /healthz)."""
    return HttpResponse("ok", content_type="text/plain")


class ClaimsView(APIView):
    """Token only, no database (the template's GET /api/auth/claims, `Claims` guard)."""

    authentication_classes = [JWTStatelessUserAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"claims": request.auth.payload})


class SessionsView(APIView):
    """The caller's live refresh tokens, newest first (the template's GET /api/sessions).

    simplejwt's blacklist app keeps one OutstandingToken row per issued refresh token and
    blacklists it on rotation, so the live, non-blacklisted rows are the signed-in devices.
    """

    permission_classes = [IsAuthenticated]

    def get(self, request):
        rows = (
            OutstandingToken.objects.filter(
                user=request.user,
                expires_at__gt=timezone.now(),
                blacklistedtoken__isnull=True,
            )
            .order_by("-created_at")
            .values("jti", "created_at", "expires_at")
        )
        return Response({"sessions": list(rows)})
