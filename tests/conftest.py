"""Shared fixtures. ``fake_llm`` / ``fake_client``: a fake OpenAI-compatible server on loopback (tests/fake_llm.py)."""

from fake_llm import fake_client, fake_llm

__all__ = ["fake_client", "fake_llm"]
