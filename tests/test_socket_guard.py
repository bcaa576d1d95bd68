"""No verb reaches the network: the only connection allowed is the named loopback endpoint.

``socket.socket.connect`` (which asyncio, aiohttp, httpx and urllib all end in) and name
resolution are replaced by guards that refuse every address except the fake model server the
command names; each verb then runs as a user would run it. The LiteLLM path also runs in a
fresh process without ``LITELLM_LOCAL_MODEL_COST_MAP`` in its environment, since the product
itself must keep LiteLLM from fetching its cost map.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.labelset import load_labelset
from radprompt.testing import FakeOpenAIServer, RulesAnswerer

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "experiments" / "demo"

GUARD = '''
import socket
_allowed = {allowed!r}
_connect, _connect_ex, _getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                       socket.getaddrinfo)
def _check(address):
    if isinstance(address, (str, bytes)):      # AF_UNIX: not the network
        return
    if (address[0], address[1]) not in _allowed:
        raise ConnectionRefusedError(f"socket guard: connection to {{address}} refused")
def connect(self, address):
    _check(address)
    return _connect(self, address)
def connect_ex(self, address):
    _check(address)
    return _connect_ex(self, address)
def getaddrinfo(host, *args, **kwargs):
    if host not in (None, "127.0.0.1", "localhost", "::1", b"127.0.0.1"):
        raise socket.gaierror(f"socket guard: no name resolution for {{host!r}}")
    return _getaddrinfo(host, *args, **kwargs)
socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = (
    connect, connect_ex, getaddrinfo)
'''


class Refused(list[tuple[object, ...]]):
    """Addresses a command tried to reach."""


@pytest.fixture(name="fake")
def fake_fixture():
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=load_labelset("chestxray21"))) as f:
        yield f


@pytest.fixture(name="guard")
def guard_fixture(monkeypatch: pytest.MonkeyPatch, fake: FakeOpenAIServer) -> Refused:
    refused = Refused()
    allowed = {(fake.host, fake.port)}
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: object) -> None:
        if isinstance(address, str | bytes):
            return
        assert isinstance(address, tuple)
        if (address[0], address[1]) not in allowed:
            refused.append(address)
            raise ConnectionRefusedError(f"socket guard: {address} refused")

    def connect(self: socket.socket, address: object) -> None:
        check(address)
        real_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        check(address)
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in (None, "127.0.0.1", "localhost", "::1"):
            refused.append((host,))
            raise socket.gaierror(f"socket guard: no name resolution for {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return refused


LLM = ["--model", "hosted_vllm/fake-model", "--api-base", "{url}"]
TEST = str(DEMO / "test.jsonl")
VERBS = {
    "labelsets list": ["labelsets", "list"],
    "labelsets show": ["labelsets", "show", "chexpert14"],
    "labelsets validate": ["labelsets", "validate", "labelsets/chestxray21.yaml"],
    "labelsets test": ["labelsets", "test", "chestxray21"],
    "extract rules": ["extract", "-i", TEST, "-o", "{tmp}/rules.jsonl"],
    "extract llm": ["extract", "-i", "{tmp}/ten.jsonl", "-o", "{tmp}/llm.jsonl", *LLM],
    "score": ["score", "-p", str(DEMO / "test.jsonl"), "-r", TEST],
    "evaluate": ["evaluate", "-r", "{tmp}/ten.jsonl", "-g", "a={tmp}/ten.jsonl", "--metrics",
                 "ranscore,bleu,rouge,meteor", "--resamples", "20", "-o", "{tmp}/eval"],
    "models check": ["models", "check", *LLM],
    "bench rules": ["bench", "rules", "-i", str(DEMO / "dev.jsonl"), "--min-reports", "50",
                    "--repeat", "1"],
    "bench metrics": ["bench", "metrics", "--pairs", "10", "--metrics", "bleu,rouge"],
    "significance generate": ["significance", "generate", "-r", "{tmp}/ten.jsonl", "-o",
                              "{tmp}/pairs.jsonl"],
    "optimize": ["optimize", "-x", "{tmp}/mini/mini.yaml", "--max-rounds", "1", "--trials", "2",
                 "--labels-per-round", "1", "--runs-dir", "{tmp}/runs"],
    "runs list": ["runs", "list", "--runs-dir", "{tmp}/runs"],
}
"""One run of every verb that could touch the network, as a user would type it. Not here:
``serve`` (it listens, never connects; tests/test_review_web.py), ``bench llm`` (it starts its
own fake server in a child process), ``review`` / ``export`` / ``bundle`` (files only). Inputs
are small slices of the demo corpus (the same code paths, a fraction of the time): ten test
reports, and a mini experiment of 60 / 30 / 30 reports for optimize."""

MINI_SPLITS = {"train": 60, "dev": 30, "test": 30}


def _write_inputs(folder: Path) -> None:
    """ten.jsonl and the mini experiment (mini/mini.yaml) in ``folder``."""
    (folder / "mini").mkdir()
    for split, count in MINI_SPLITS.items():
        with (DEMO / f"{split}.jsonl").open() as source:
            lines = [line for _, line in zip(range(count), source, strict=False)]
        (folder / "mini" / f"{split}.jsonl").write_text("".join(lines))
        if split == "test":
            (folder / "ten.jsonl").write_text("".join(lines[:10]))
    (folder / "mini" / "mini.yaml").write_text(
        "name: mini\nlabelset: chestxray21\nsynthetic: true\nsplits:\n"
        + "".join(f"  {split}: {split}.jsonl\n" for split in MINI_SPLITS))


@pytest.mark.slow
@pytest.mark.parametrize("verb", list(VERBS))
def test_no_verb_connects_anywhere_but_the_named_endpoint(verb, tmp_path, fake, guard,
                                                          monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("RADPROMPT_CACHE_DIR", str(tmp_path / "cache"))
    _write_inputs(tmp_path)
    argv = [word.format(tmp=tmp_path, url=fake.base_url) for word in VERBS[verb]]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code in (0, 1), f"radprompt {' '.join(argv)}\n{result.output[-2000:]}"
    assert not guard, f"radprompt {' '.join(argv)} tried to reach {guard}"
    if "--api-base" in argv:
        assert fake.request_count >= 1  # it did reach the named endpoint


@pytest.mark.slow
def test_the_litellm_path_sets_its_own_offline_cost_map(tmp_path, fake):
    """A fresh process, no LITELLM_LOCAL_MODEL_COST_MAP: LiteLLM must still not go out."""
    corpus = tmp_path / "two.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"r{i}", "text": text}) + "\n" for i, text in
                              enumerate(["No pneumothorax.", "Small left effusion."])))
    env = {key: value for key, value in os.environ.items()
           if key not in ("LITELLM_LOCAL_MODEL_COST_MAP", "OPENAI_API_KEY")}
    env["RADPROMPT_CACHE_DIR"] = str(tmp_path / "cache")
    code = GUARD.format(allowed={(fake.host, fake.port)}) + (
        "import sys\nfrom radprompt.cli import app\nsys.argv = ['radprompt'] + sys.argv[1:]\n"
        "app()\n")
    result = subprocess.run(
        [sys.executable, "-c", code, "extract", "-i", str(corpus), "-o",
         str(tmp_path / "out.jsonl"), "--model", "openai/fake-model", "--api-base",
         fake.base_url, "--backend", "litellm"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "socket guard" not in result.stderr + result.stdout
    assert "2 request(s) sent" in result.stderr
    assert fake.request_count == 2
