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
]

_NOT_NETWORKS = {"base", "http"}


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
    try:
        return _registry()[network]
    except KeyError:
        raise KeyError(f"Unknown network {network!r}") from None
