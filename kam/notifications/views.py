"""Pages of kam.notifications."""
