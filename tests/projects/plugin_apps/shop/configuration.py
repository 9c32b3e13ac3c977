"""Site configuration: the plugins this installation enables."""

PLUGINS = ["loyalty"]
