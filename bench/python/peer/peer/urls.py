"""Routes of the peer, each the equivalent of one template route (see bench/README.md)."""
from django.urls import include, path

from peer import views

urlpatterns = [
    path("healthz", views.healthz),
    path("api/claims", views.ClaimsView.as_view()),
    path("api/sessions", views.SessionsView.as_view()),
    # login/, user/ (JWTAuthentication: loads request.user), token/refresh/ (rotation + blacklist)
    path("api/auth/", include("dj_rest_auth.urls")),
]
