# the queue client is made when the package is imported, before any command runs
from .queue import client as queue_client

__all__ = ("queue_client",)
