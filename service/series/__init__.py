"""Series: one agency's reports across years — cross-year checks, repetition of last year's text, indicators.

``build_series`` groups results by agency and compares them (``SeriesInput.of`` pairs a result with its text);
``page_data`` is the series with one SVG chart per indicator, and ``series_html`` an HTML fragment of it,
for the review page.
"""

from service.series.build import SeriesInput, build_series
from service.series.render import page_data, series_charts, series_html

__all__ = ["SeriesInput", "build_series", "page_data", "series_charts", "series_html"]
