from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from kyc import selectors, services
from pioneer_platform.errors import DomainError
from pioneer_platform.types import AuthenticatedHttpRequest


@login_required
@require_GET
def document_image(request: AuthenticatedHttpRequest, public_id: str, kind: str) -> HttpResponse:
    """The only way to see a document: owner or moderator, logged, never cached."""
    try:
        document = selectors.document_for_viewer(user=request.user, public_id=public_id, kind=kind)
        content = services.document_read(document=document, viewer=request.user)
    except DomainError as error:
        raise Http404(error.message) from None
    response = HttpResponse(content, content_type=document.content_type)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = "inline"
    return response
