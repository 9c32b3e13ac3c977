"""djfix: make an existing Django repository deploy-ready."""

from __future__ import annotations

__version__ = "0.1.0"
