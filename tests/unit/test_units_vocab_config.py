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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[api]\nport = "abc"\n', r"\[api\] port: expected an integer \(without quotes\), got 'abc'"),
        ('[s3]\nallow_http = "false"\n', r"\[s3\] allow_http: expected a boolean"),
        ('[api]\npublic_releases = "2026.12.04"\n', r"\[api\] public_releases: expected a list"),
        ('[api]\npublic_releases = ["latest"]\n', r"'latest' is not a release tag"),
        (
            '[[api.tokens]]\nname = "bank"\ntoken_sha256 = "' + "a" * 64 + '"\nrelease = ["2026.01.01"]\n',
            r"\[\[api.tokens\]\] #1 unknown key 'release'; did you mean 'releases'\?",
        ),
        ('[[api.tokens]]\nname = "bank"\ntoken_sha256 = "' + "a" * 64 + '"\n', r"missing key 'releases'"),
        ('[[api.tokens]]\nname = "bank"\nreleases = ["*"]\n', r"#1 \(bank\): give exactly one"),
        ('[[api.tokens]]\nname = "b"\ntoken_sha256 = "abc"\nreleases = ["*"]\n', r"64 lower-case hex"),
        ("[s3]\nsecret_access_key = 5\n", r"\[s3\] secret_access_key: expected a string \(in quotes\)$"),
    ],
)
def test_config_is_strict_and_says_where(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "bluecarbon.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(cfg, env={})
    assert str(cfg) in str(caught.value)


def test_env_overrides_are_parsed_per_type_and_typos_are_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "bluecarbon.toml"
    cfg.write_text("")
    s = load_settings(cfg, env={"BLUECARBON_S3_ALLOW_HTTP": "true", "BLUECARBON_API_PORT": "9000"})
    assert s.s3.allow_http is True and s.api_port == 9000
    with pytest.raises(ConfigError, match=r"BLUECARBON_S3_SECRET_KEY: unknown setting; did you mean"):
        load_settings(cfg, env={"BLUECARBON_S3_SECRET_KEY": "x"})
    with pytest.raises(ConfigError, match=r"BLUECARBON_API_PORT: expected greater than or equal to 1, got 0"):
        load_settings(cfg, env={"BLUECARBON_API_PORT": "0"})
    assert load_settings(cfg, env={"BLUECARBON_PROJECT": "x", "BLUECARBON_RUN_ID": "y"}).api_port == 8765


def test_secrets_never_print_and_shipped_config_is_closed(repo_root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "bluecarbon.toml"
    cfg.write_text('[s3]\nsecret_access_key = "hunter2-hunter2"\n[[api.tokens]]\nname = "t"\n'
                   'token = "a-plain-token-of-length"\nreleases = ["*"]\n')  # fmt: skip
    s = load_settings(cfg, env={})
    assert "hunter2" not in repr(s) and "a-plain-token" not in repr(s)
    assert s.s3.secret_access_key.get_secret_value() == "hunter2-hunter2"
    cfg.write_text('[s3]\nsecret_access_key = ["hunter2-hunter2"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, env={})
    assert "hunter2" not in str(caught.value)
    shipped = load_settings(repo_root / "bluecarbon.toml", env={})
    assert shipped.api_public_releases == () and shipped.api_tokens == ()


@pytest.mark.parametrize(
    ("word", "habitat"),
    [
        ("盐地碱蓬", Habitat.SALT_MARSH),
        ("碱蓬", Habitat.SALT_MARSH),
        ("互花米草", Habitat.SALT_MARSH),
        ("芦苇", Habitat.SALT_MARSH),
        ("鳗草", Habitat.SEAGRASS),
        ("大叶藻", Habitat.SEAGRASS),
        ("日本鳗草", Habitat.SEAGRASS),
        ("光滩", Habitat.TIDAL_FLAT),
    ],
)
def test_chinese_species_and_cover_names_of_shandong_surveys(word: str, habitat: Habitat) -> None:
    assert Habitat.parse(word) is habitat
    assert Habitat.parse(f" {word} ") is habitat
