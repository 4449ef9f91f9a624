"""Reusable custom layers, one concept per file, each registered serializable under package "zoo".

Importing this package registers them, so `.keras` files using them load in safe mode.
"""
