"""Charts from files on the command line (``battrace chart ...``): the apps' SVG charts written to a file,
and to PNG when asked (png.py renders the SVG with a headless Chromium through Playwright, when installed).

Imported only by ``battrace chart``: the chart code pulls numpy (state of health) and openpyxl (workbooks),
which a node's start does not load.
"""
