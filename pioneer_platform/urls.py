from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("ledger.api_urls")),
    path("", include("kyc.api_urls")),
    path("", include("tasks.api_urls")),
    path("", include("community.api_urls")),
    path("", include("dashboard.api_urls")),
    path("", include("reputation.api_urls")),
    path("", include("community.chat_api_urls")),
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("ledger.urls")),
    path("", include("kyc.urls")),
    path("", include("tasks.urls")),
    path("", include("community.urls")),
    path("", include("support.urls")),
    path("", include("dashboard.urls")),
    path("", include("reputation.review_urls")),
    path("", include("community.chat_urls")),
    path("", include("reputation.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    re_path(
        r"^_allauth/(?P<client>app|browser)/v1/(?:account/phone|auth/phone/verify(?:/resend)?)$",
        views.headless_phone_unused,
    ),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (`?script`), not inline,
    # so the docs need no exception from the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
# Not a Django handler: allauth's rate limits look it up here for their 429 page.
handler429 = "core.views.too_many_requests"
handler500 = "core.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
