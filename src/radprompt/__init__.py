"""radprompt: radiology report finding extraction, prompt optimization and evaluation."""

__version__ = "0.1.0"
