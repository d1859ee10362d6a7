from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import lockout_message
from accounts.models import User
from accounts.services import api_token_issue
from core.api.exceptions import ErrorSerializer

from .serializers import MeSerializer, TokenRequestSerializer, TokenSerializer


class TokenView(APIView):
    """Exchange a user name and password for an API token (``Authorization: Token <token>``)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        summary="Obtain an API token",
    )
    def post(self, request: Request) -> Response:
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # django-axes inspects the Django request, so pass it rather than DRF's wrapper.
        user = authenticate(request._request, **body.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            return Response({"message": lockout_message(), "errors": {}}, status=status.HTTP_403_FORBIDDEN)
        if user is None:
            return Response(
                {"message": _("Unable to sign in with the given user name and password."), "errors": {}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        raw, token = api_token_issue(actor=user)
        return Response({"token": raw, "expires_at": token.expires_at})


class MeView(APIView):
    """The signed-in user, her facility and roles."""

    @extend_schema(responses={200: MeSerializer}, summary="Current user")
    def get(self, request: Request) -> Response:
        user = User.objects.select_related("facility", "department", "region").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)
