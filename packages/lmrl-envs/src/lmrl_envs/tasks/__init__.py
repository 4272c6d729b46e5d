"""The LMRL-Gym tasks; each module's docstring is its documentation page."""
