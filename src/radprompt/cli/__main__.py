"""``python -m radprompt.cli``: the same as the ``radprompt`` command."""

from radprompt.cli import app

app()
