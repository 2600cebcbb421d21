"""The public pages of legislation."""

urlpatterns: list = []
