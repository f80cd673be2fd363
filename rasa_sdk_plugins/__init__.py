"""rasa_sdk's plugin package (it imports `rasa_sdk_plugins` by that name at start): guards
the action server (rasa_extensions/action_server.py)."""

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class ActionServerGuard:
    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:
        from rasa_extensions.action_server import guard

        guard(app)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionServerGuard())
