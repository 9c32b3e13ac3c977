from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self):
        # No queries and no signal handlers here. The startup probes only open
        # throwaway connections, and only in processes that serve traffic or
        # migrate the schema (see common/startup.py).
        from . import startup

        startup.run_startup_probes()
