"""What several test modules share (the tests import ``support.<name>``; tests/ is on ``sys.path``):

    api       samples, settings for an app, problem+json assertions
    llm       LLM settings and gold readings for the fake server
    review    the review page's helpers
    browser   whether the browser tests can run (skip, or fail in CI)

Fakes and processes the benchmarks need too live in testkit/ (the fake LLM, the app and nginx on free ports).
"""
