"""Shared fixtures. Tests never touch the network; see the env vars set below."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Offline for every test (set before any test imports litellm / transformers).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real public reference data beside the checkout; skips when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (clone with ../shared beside it)")
    return SHARED_DATA


@pytest.fixture
def chestxray21():
    from radprompt.labelset import load_labelset

    return load_labelset("chestxray21")


@pytest.fixture
def mini_labelset():
    from radprompt.labelset import load_labelset

    return load_labelset(FIXTURES / "mini.yaml")
