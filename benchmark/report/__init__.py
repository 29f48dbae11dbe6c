"""The report: parameters, shared results, charts, the papermill runner."""
