"""The real-model tier: SmolLM2-135M-Instruct on llama.cpp's server, on loopback.

One server per session (``local_model``), started from ``extractors/llamacpp-local.yaml`` on a
free port with ``THREADS`` threads. Every test here is marked ``realmodel`` (``pytest -m
realmodel`` runs them alone, ``-m "not realmodel"`` leaves them out); they skip with the reason
where the local model could not be set up (``scripts/setup-local-model.sh``: no compiler, a
failed build). ``RADPROMPT_REALMODEL_API_BASE`` (and ``RADPROMPT_REALMODEL_MODEL``) run them
against a server that is already running instead.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from radprompt.errors import RadpromptError
from radprompt.labelset import read_yaml
from radprompt.llm import LLMRecipe
from radprompt.llm.local_model import LocalServer, find_gguf, server_command

ROOT = Path(__file__).resolve().parents[2]
THREADS = 2
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.realmodel)


def skip_reason() -> str | None:
    """Why the local model cannot run here, or ``None``."""
    marker = ROOT / ".venv" / "local-model-skipped"
    if marker.is_file():
        return f"no local model on this machine: {marker.read_text('utf-8').strip()}"
    for module in ("llama_cpp", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            return ("llama-cpp-python[server] is not installed (bash "
                    "scripts/setup-local-model.sh builds it; it needs a C++ compiler)")
    try:
        find_gguf()
    except RadpromptError as exc:
        return str(exc)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def local_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMRecipe]:
    """The recipe of a running local server (its own answer cache in a temporary folder)."""
    folder = tmp_path_factory.mktemp("local-model")
    data = dict(read_yaml(ROOT / "extractors" / "llamacpp-local.yaml"))
    data.update(api_base=f"http://127.0.0.1:{_free_port()}/v1",
                cache_path=str(folder / "cache.sqlite"))
    if running := os.environ.get("RADPROMPT_REALMODEL_API_BASE"):
        # a server already running (a bigger GGUF, Ollama's /v1 ...): use it as it is
        data.update(api_base=running, model=os.environ.get("RADPROMPT_REALMODEL_MODEL",
                                                           data["model"]))
        yield LLMRecipe.model_validate(data)
        return
    if (reason := skip_reason()) is not None:
        pytest.skip(reason)
    recipe = LLMRecipe.model_validate(data)
    command = server_command(recipe, gguf=find_gguf(), threads=THREADS)
    with LocalServer(command, base_url=str(recipe.api_base), log=folder / "server.log"):
        yield recipe


@pytest.fixture
def recipe_file(local_model: LLMRecipe, tmp_path: Path) -> Path:
    """The running server's recipe as a file for ``--extractor``."""
    path = tmp_path / "local.yaml"
    path.write_text(local_model.model_dump_json(exclude_none=True), "utf-8")
    return path
