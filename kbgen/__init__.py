"""kbgen: a static-site generator for multilingual customer-support knowledge bases."""

__version__ = "0.1.0"
