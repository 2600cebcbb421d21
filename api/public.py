"""The open interfaces' base view: public, read by other systems without a session or a password.

Open311's POST carries its own API key (api.open311); nothing here reads the session, so a
visitor signed in to the admin gets exactly what everybody gets.
"""

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class PublicAPIView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
