"""memory.check_fits: refuse too-big requests up front, with one clear line."""

from __future__ import annotations

import pytest

from reprviz_gui.core import memory
from reprviz_gui.core.errors import ReprvizError, ResourceLimitError


def test_format_bytes():
    assert memory.format_bytes(0) == "0 bytes"
    assert memory.format_bytes(1) == "1 byte"
    assert memory.format_bytes(1023) == "1023 bytes"
    assert memory.format_bytes(1024) == "1.0 KiB"
    assert memory.format_bytes(3 * 1024**3) == "3.0 GiB"
    assert memory.format_bytes(int(9.3 * 1024**3)) == "9.3 GiB"


def test_default_budget_is_capped(monkeypatch):
    monkeypatch.delenv(memory.ENV_LIMIT, raising=False)
    budget = memory.memory_budget_bytes()
    assert 0 < budget <= memory.HARD_CAP_BYTES
    available = memory.available_memory_bytes()
    if available is not None:
        assert budget <= 0.4 * available + 1


def test_check_fits_passes_small_and_refuses_large(monkeypatch):
    monkeypatch.setenv(memory.ENV_LIMIT, "1")  # 1 MiB
    memory.check_fits(1024, "thing")
    with pytest.raises(ResourceLimitError) as err:
        memory.check_fits(50_000 * 50_000 * 4, "cosine matrix of 50,000 samples")
    msg = str(err.value)
    assert msg.startswith(
        "The cosine matrix of 50,000 samples would need 9.3 GiB; the limit is 1.0 MiB")
    assert "choose fewer samples" in msg
    assert "\n" not in msg


def test_capitalised_what_is_the_subject(monkeypatch):
    monkeypatch.setenv(memory.ENV_LIMIT, "1")
    with pytest.raises(ResourceLimitError, match=r"^Reading big\.csv would need 2\.0 GiB"):
        memory.check_fits(2 * 1024**3, "Reading big.csv")


def test_bad_env_value_is_a_user_error(monkeypatch):
    monkeypatch.setenv(memory.ENV_LIMIT, "lots")
    with pytest.raises(ReprvizError, match="REPRVIZ_MEMORY_LIMIT_MB"):
        memory.check_fits(10, "thing")
    monkeypatch.setenv(memory.ENV_LIMIT, "-5")
    with pytest.raises(ReprvizError):
        memory.memory_budget_bytes()


def test_max_square_samples(monkeypatch):
    monkeypatch.setenv(memory.ENV_LIMIT, "4")  # 4 MiB -> 1024 x 1024 float32
    assert memory.max_square_samples(4) == 1024
    memory.check_fits(1024 * 1024 * 4, "x")
