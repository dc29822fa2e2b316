"""nianbao: structured data from 政府信息公开工作年度报告.

Pipeline (one module per step): text (decode, normalise) → sections → version → tables → checks →
narrative (rules or LLM) → result. ``service.pipeline.extract`` runs it.
"""
