from tests.backoffice.conftest import shared_custody  # noqa: F401  (Roux and Garnier share Jade)
