"""What the menu pages show on every request, read once when the app starts."""

SECTIONS = {}
