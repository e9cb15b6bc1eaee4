from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kam.core"
    label = "core"

    def ready(self):
        # Import every app's tasks module so its periodic jobs are registered with the scheduler.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
