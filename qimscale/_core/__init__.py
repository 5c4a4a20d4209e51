"""Leaves shared by every layer: the result protocol, input checks, numerical policy, JSON.

Nothing here imports another ``qimscale`` sub-package except :mod:`qimscale.errors`,
so every layer may import it without creating a cycle.
"""
