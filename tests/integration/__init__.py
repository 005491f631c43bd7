"""End-to-end tests against real services and stand-in servers."""
