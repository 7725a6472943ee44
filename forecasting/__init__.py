"""Demand forecasting: sales import, Prophet and baselines, backtests, inventory and campaign planning."""

import logging

# Prophet logs "Importing plotly failed" at import time; we never plot with plotly, so the line is noise.
logging.getLogger("prophet.plot").disabled = True
