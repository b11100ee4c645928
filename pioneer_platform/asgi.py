"""One ASGI application for HTTP and WebSockets.

WebSockets authenticate with the session cookie (AuthMiddlewareStack) and must come from one
of the site's own origins, scheme, host and port (core.websocket): a cookie alone would let
any page open a socket as the visitor.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pioneer_platform.settings")
# Django must be set up before the routing imports consumers and models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core.bodies import RequestBodyLimit  # noqa: E402
from core.websocket import SameOriginValidator  # noqa: E402
from pioneer_platform import http_server  # noqa: E402
from pioneer_platform.routing import websocket_urlpatterns  # noqa: E402

http_server.install()

# What is loaded now (Django, the apps, the URL maps) lives as long as the process: out of
# the collector's sight, a full collection under a busy socket server walks only the objects
# made since, not the hundreds of thousands that never die. Garbage first, so none is kept.
gc.collect()
gc.freeze()

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
