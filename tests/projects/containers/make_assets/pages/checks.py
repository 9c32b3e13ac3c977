from django.contrib.staticfiles import finders
from django.core.checks import Error, Tags, register


@register(Tags.staticfiles)
def bundle_built(app_configs, **kwargs):
    """The templates load the front-end bundle: collectstatic stops where it is not built."""
    if finders.find("build/wiki.js") is None:
        return [
            Error(
                "the front-end bundle build/wiki.js is not built",
                hint="run `make build-static`",
                id="pages.E001",
            )
        ]
    return []
