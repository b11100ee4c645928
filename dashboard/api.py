from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from dashboard.earnings import earnings_summary
from dashboard.serializers import EarningsSerializer


class EarningsView(APIView):
    """The signed-in person's points: the total, per project and per month (UTC), and what
    a point is. The credit rows themselves are `GET /api/v1/credits/`."""

    @extend_schema(operation_id="v1_earnings_retrieve", responses=EarningsSerializer)
    def get(self, request: Request) -> Response:
        summary = earnings_summary(user=cast(User, request.user))
        return Response(EarningsSerializer(summary).data)
