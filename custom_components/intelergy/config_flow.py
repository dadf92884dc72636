"""Config flow: the menu of entry kinds, and the dispatch to each kind's steps.

Every kind contributes its steps as mixins named in its registry entry
(``kinds.py``): ``IntelergyConfigFlow`` and ``IntelergyOptionsFlow`` are made of
them, so adding a kind adds its steps. The steps themselves live in the kind's
``flow.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Literal

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
    OptionsFlowWithReload,
)
from homeassistant.core import callback

from .const import CONF_KIND, DOMAIN
from .kinds import ENTRY_KINDS

_CONFIG_STEPS: Final[tuple[type[ConfigFlow], ...]] = tuple(
    kind.config_flow for kind in ENTRY_KINDS.values()
)
_OPTIONS_STEPS: Final[tuple[type[OptionsFlow], ...]] = tuple(
    kind.options_flow for kind in ENTRY_KINDS.values() if kind.options_flow
)


class IntelergyConfigFlow(*_CONFIG_STEPS, ConfigFlow, domain=DOMAIN):  # type: ignore[misc]
    """Add a device, an account, a monitor or a bill: each kind's own steps."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the kind of entry to add."""
        return self.async_show_menu(step_id="user", menu_options=list(ENTRY_KINDS))

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """The device or account refused its credentials: the kind's reauth step."""
        return await self._kind_step(entry_data[CONF_KIND], "reauth")

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how a device or account is reached: the kind's reconfigure step."""
        kind = self._get_reconfigure_entry().data[CONF_KIND]
        return await self._kind_step(kind, "reconfigure")

    async def _kind_step(
        self, kind: str, step: Literal["reauth", "reconfigure"]
    ) -> ConfigFlowResult:
        """``<kind>_<step>`` when the kind declares it (kinds.py), else a clear abort."""
        entry_kind = ENTRY_KINDS.get(kind)
        if entry_kind is None or not getattr(entry_kind, step):
            if step == "reauth":
                return self.async_abort(reason="reauth_not_supported")
            return self.async_abort(reason="reconfigure_not_supported")
        method: Callable[[], Awaitable[ConfigFlowResult]] = getattr(
            self, f"async_step_{kind}_{step}"
        )
        return await method()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry[Any]) -> bool:
        """Kinds that declare options (kinds.py)."""
        entry_kind = ENTRY_KINDS.get(config_entry.data[CONF_KIND])
        return entry_kind is not None and entry_kind.options

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> IntelergyOptionsFlow:
        """The options of the entry's kind."""
        return IntelergyOptionsFlow()


class IntelergyOptionsFlow(*_OPTIONS_STEPS, OptionsFlowWithReload):  # type: ignore[misc]
    """Each kind's options; the entry reloads on save."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Go to the entry's kind: its options step is named after it."""
        method: Callable[[], Awaitable[ConfigFlowResult]] = getattr(
            self, f"async_step_{self.config_entry.data[CONF_KIND]}"
        )
        return await method()
