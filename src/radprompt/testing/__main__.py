"""``python -m radprompt.testing --latency 0.05``: serve the fake OpenAI-compatible server."""

from radprompt.testing.serve import main

main()
