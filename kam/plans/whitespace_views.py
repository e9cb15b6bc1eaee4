"""The whitespace matrix, the offerings catalogue and the programme's opportunity list (pages)."""

urlpatterns = []
