"""Every blueprint loads through Home Assistant's blueprint schema."""

from __future__ import annotations

from pathlib import Path
import shutil
from urllib.parse import quote

from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.core import HomeAssistant
from homeassistant.util import yaml as yaml_util
import pytest

from custom_components.intelergy.core.anomaly.model import KINDS

from .common import BLUEPRINTS

FILES = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))
README = BLUEPRINTS.parents[2] / "README.md"
SOURCE = (
    "https://github.com/intelergy/intelergy/blob/main/blueprints/automation/intelergy/"
)


def test_the_set() -> None:
    assert FILES == [
        "anomaly_cutoff.yaml", "bill_watch.yaml", "elnet_daily_summary.yaml",
        "elnet_generator.yaml", "elnet_low_balance.yaml", "elnet_recharge.yaml",
        "left_on.yaml", "stale_sensor.yaml",
    ]  # fmt: skip


@pytest.mark.parametrize("name", FILES)
async def test_loads(hass: HomeAssistant, name: str) -> None:
    """HA loads it as an automation blueprint; its source and README badge match."""
    target = Path(hass.config.path("blueprints", "automation", "intelergy"))

    def install() -> None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(BLUEPRINTS / name, target / name)

    await hass.async_add_executor_job(install)
    blueprint = await async_get_blueprints(hass).async_get_blueprint(
        f"intelergy/{name}"
    )
    assert blueprint.domain == "automation"
    assert blueprint.metadata["source_url"] == SOURCE + name
    assert blueprint.name.startswith("Intelergy ")
    badge = (
        "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="
        + quote(SOURCE + name, safe="")
    )
    assert badge in README.read_text(encoding="utf-8")


def test_anomaly_kinds_are_the_detectors() -> None:
    """The anomaly blueprint offers every kind the detector reports."""
    data = yaml_util.load_yaml(BLUEPRINTS / "anomaly_cutoff.yaml")
    options = data["blueprint"]["input"]["kinds"]["selector"]["select"]["options"]
    assert [option["value"] for option in options] == [
        "spike", "long_run", "current", "voltage", "daily_energy", "unusual_time"
    ]  # fmt: skip
    assert sorted(option["value"] for option in options) == sorted(KINDS)
