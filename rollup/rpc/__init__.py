"""JSON-RPC over HTTP for the L2 node: Ethereum methods plus ``omni_*`` extensions.

``create_app(node, settings)`` builds the aiohttp application; ``start_server``/``run_server``
bind it. See docs/rpc.md for the methods, the errors and the limits.
"""

from __future__ import annotations

from .errors import RpcError
from .server import RunningServer, create_app, run_server, start_server
from .settings import RpcSettings, coerce_settings

__all__ = ["create_app", "run_server", "start_server", "RunningServer", "RpcSettings", "RpcError",
           "coerce_settings"]
