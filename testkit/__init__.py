"""What the tests and the benchmarks share: synthetic reports and a fake LLM server (never a product backend).

    generator     synthetic reports of both format versions in many table shapes, with their true values
    fake_llm      a fake OpenAI-compatible server on loopback, answered from a script
    fake_faults   the fake LLM for load and fault injection (latency, seeded faults, gold answers)
    processes     real processes on free loopback ports: the app (``nianbao serve``) and the nginx gateway
    browser       Debian's Chromium through Selenium (the review page, the offline docs)
    series        reports made from the samples for other years, with tampered rows (series tests, bench, example)

Not shipped in the wheel. tests/ and bench/ import it from the repository root (pytest's ``pythonpath``; the
bench scripts put the root on ``sys.path``), so no benchmark reaches into tests/.
"""
