"""The project's own apps, kept apart from the settings."""

LOCAL_APPS = ["orders"]
