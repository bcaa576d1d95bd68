"""Test doubles that ship with the package, so every user can test offline.

``FakeOpenAIServer`` is a loopback OpenAI-compatible chat server with scriptable answers,
latency and faults; ``RulesAnswerer`` makes it answer like the rule engine, ``GuidedAnswerer``
from the label guidance in the prompt (and revise guidance from error examples);
``synthetic_reports`` writes reports from a labelset's own vocabulary.
"""

from radprompt.testing.fake_answers import RulesAnswerer, synthetic_reports
from radprompt.testing.fake_openai import Behaviour, FakeOpenAIServer, approx_token_count
from radprompt.testing.guided import GuidedAnswerer

__all__ = [
    "Behaviour",
    "FakeOpenAIServer",
    "GuidedAnswerer",
    "RulesAnswerer",
    "approx_token_count",
    "synthetic_reports",
]
