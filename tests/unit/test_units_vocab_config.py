from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from bluecarbon.config import load_settings
from bluecarbon.errors import ConfigError, InputError, UnitError
from bluecarbon.units import CO2E_PER_C, c_to_co2e, check_units, co2e_to_c, to_basis
from bluecarbon.vocab import HABITAT_CODES, Habitat, flag_attrs


def test_co2e_factor_is_molar_mass_ratio() -> None:
    assert CO2E_PER_C == pytest.approx(3.664191, abs=1e-6)
    assert c_to_co2e(12.0107) == pytest.approx(44.0095)
    assert co2e_to_c(c_to_co2e(5.0)) == pytest.approx(5.0)
    assert to_basis(1.0, from_basis="c", to_basis="CO2e") == pytest.approx(CO2E_PER_C)
    assert to_basis(1.0, from_basis="CO2e", to_basis="CO2e") == 1.0
    with pytest.raises(UnitError, match="carbon basis"):
        to_basis(1.0, from_basis="CH4", to_basis="C")


def test_check_units_accepts_aliases_and_rejects_others() -> None:
    da = xr.DataArray(np.ones(2), name="stock", attrs={"units": "t/ha"})
    check_units(da, "Mg ha-1")
    with pytest.raises(UnitError, match="'stock' is in 'g m-2'"):
        check_units(da.assign_attrs(units="g m-2"), "Mg ha-1")
    with pytest.raises(UnitError, match="no 'units'"):
        check_units(xr.DataArray(np.ones(2), name="x"), "1")


def test_habitat_codes_are_unique_and_parse_synonyms() -> None:
    assert len(set(HABITAT_CODES.values())) == len(Habitat)
    assert Habitat.parse("marsh") is Habitat.SALT_MARSH
    assert Habitat.parse("Seagrass") is Habitat.SEAGRASS
    assert Habitat.parse("海草床") is Habitat.SEAGRASS
    assert Habitat.from_code(Habitat.MANGROVE.code) is Habitat.MANGROVE
    with pytest.raises(InputError, match="unknown habitat 'kelp forest'"):
        Habitat.parse("kelp forest")
    attrs = flag_attrs()
    assert len(attrs["flag_values"]) == len(attrs["flag_meanings"].split())
    assert attrs["flag_values"] == sorted(HABITAT_CODES.values())
    assert attrs["flag_meanings"].split()[0] == "seagrass" and attrs["units"] == "1"


def test_settings_defaults_toml_and_env_override(tmp_path: Path) -> None:
    cfg = tmp_path / "bluecarbon.toml"
    cfg.write_text('[store]\nuri = "mystore"\n[dask]\naddress = "tcp://x:8786"\n')
    s = load_settings(
        cfg, env={"BLUECARBON_STORE_URI": "s3://bucket/bc", "BLUECARBON_PREFECT_SERVER_STARTUP_TIMEOUT": "99"}
    )
    assert s.store_uri == "s3://bucket/bc"
    assert s.dask_address == "tcp://x:8786"
    assert s.prefect_server_startup_timeout == 99
    assert s.catalog_dir == tmp_path / "data" / "catalog"
    s2 = load_settings(cfg, env={})
    assert s2.store_uri == str(tmp_path / "mystore")
    assert s2.prefect_environment()["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[nonsense]\na = 1\n", {}, "unknown section"),
        ("[store]\nurl = 'x'\n", {}, "unknown key 'url'"),
        ("[pipeline]\non_invalid = 'ignore'\n", {}, "on_invalid"),
        ("", {"BLUECARBON_API_PORT": "eighty"}, "not an integer"),
        ("[store\n", {}, "not valid TOML"),
    ],
)
def test_bad_config_is_named(tmp_path: Path, text: str, env: dict[str, str], message: str) -> None:
    cfg = tmp_path / "bluecarbon.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg, env=env)
