"""Network connectors.  Each network is one module of this package that
defines ``CONNECTOR``, a :class:`~.base.Connector` subclass; adding a network
means adding one module."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .base import AccountConfig, Connector, WebhookRequest, WebhookResponse

__all__ = [
    "AccountConfig",
    "Connector",
    "WebhookRequest",
    "WebhookResponse",
    "available_networks",
    "get_connector_class",
    "register_bridged",
]

_NOT_NETWORKS = {"base", "http"}

#: connectors of networks that live inside Odoo (a bridge module's forum):
#: found by name, but offered only by the bridge's own selection, because this
#: process may serve databases where the bridge is not installed
_bridged: dict[str, type[Connector]] = {}


@cache
def _registry() -> dict[str, type[Connector]]:
    registry = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_") or module_info.name in _NOT_NETWORKS:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        connector = getattr(module, "CONNECTOR", None)
        if connector is not None:
            registry[connector.network] = connector
    return registry


def available_networks() -> list[tuple[str, str]]:
    """``(network, label)`` pairs, demo first, then by label."""
    return sorted(
        ((name, cls.label) for name, cls in _registry().items()),
        key=lambda pair: (pair[0] != "demo", pair[1].lower()),
    )


def get_connector_class(network: str) -> type[Connector]:
    connector = _registry().get(network) or _bridged.get(network)
    if connector is None:
        raise KeyError(f"Unknown network {network!r}")
    return connector


def register_bridged(connector: type[Connector]) -> type[Connector]:
    """Make a bridge module's connector known by its network name."""
    _bridged[connector.network] = connector
    return connector
