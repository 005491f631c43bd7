"""The review pages' fixtures (an App on a fixed clock, a seeded ledger) for the hostile-input tests."""

from tests.review.conftest import clock, ledger, review_app  # noqa: F401
