"""Extractors: the rule engine and (optionally) LLM extractors."""

from radprompt.extractors.base import ExtractionFailure, ExtractionResult, Extractor
from radprompt.extractors.rules import RulesExtractor

__all__ = ["ExtractionFailure", "ExtractionResult", "Extractor", "RulesExtractor"]
