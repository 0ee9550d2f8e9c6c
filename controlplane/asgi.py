"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets pass the allowed-hosts origin check and the session auth middleware;
each consumer still authorizes every subscription itself.
"""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlplane.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from monitoring.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Fan-out allocates many short-lived objects: with the default thresholds, collections
# every few events paused delivery to 1,000 sockets by 250 ms (bench/ws_fanout.py).
# Objects alive after start-up are frozen out of collection and collections run rarer.
gc.set_threshold(50_000, 20, 10)
gc.freeze()
