"""Fixtures of the security suite: the socket guard and a clean environment (autouse)."""

from security_support import clean_environment_fixture, socket_guard_fixture

__all__ = ["clean_environment_fixture", "socket_guard_fixture"]
