"""Token authentication as the Synapse SDK sends it."""

import hmac

from django.conf import settings
from rest_framework import authentication, exceptions


class TokenUser:
    """The one user of this server: whoever holds the configured token."""

    is_authenticated = True
    is_anonymous = False

    def __str__(self):
        return 'synapse-token-user'


class SynapseTokenAuthentication(authentication.BaseAuthentication):
    """Accepts `Synapse-Access-Token: Token <t>` or `Authorization: Token <t>`.

    The SDK may send both headers (they carry different credentials), so
    one valid header is enough.
    """

    keyword = 'token'
    meta_keys = ('HTTP_SYNAPSE_ACCESS_TOKEN', 'HTTP_AUTHORIZATION')

    def authenticate(self, request):
        values = [request.META[key] for key in self.meta_keys if key in request.META]
        if not values:
            return None  # DRF turns this into 401 NotAuthenticated
        expected = settings.SYNAPSE['token'].encode()
        first_error = None
        for value in values:
            try:
                token = self._parse(value)
            except exceptions.AuthenticationFailed as error:
                first_error = first_error or error
                continue
            if expected and hmac.compare_digest(token.encode(), expected):
                return TokenUser(), token
        raise first_error or exceptions.AuthenticationFailed('Invalid token.')

    def _parse(self, value):
        # Same messages as rest_framework.authentication.TokenAuthentication.
        parts = value.split()
        if len(parts) < 2 or parts[0].lower() != self.keyword:
            raise exceptions.AuthenticationFailed('Invalid token header. No credentials provided.')
        if len(parts) > 2:
            raise exceptions.AuthenticationFailed(
                'Invalid token header. Token string should not contain spaces.')
        return parts[1]

    def authenticate_header(self, request):
        # A non-empty WWW-Authenticate challenge makes DRF answer 401, not 403.
        return 'Token'
