"""The public pages of deliberation."""

urlpatterns: list = []
