"""Offline vision tools: detector training and evaluation, generated shelf scenes, demo pack art.

They run in training commands, tests, benchmarks and the demo seed, never while a photo is analysed.
They may import the runtime modules (the detector's NMS and settings, the plain types), but nothing on the
runtime path (``detector``, ``pipeline``, ``rows``, ``gaps``, ``sku``, ``quality``, ``evidence``,
``types``) may import this package: what a deployed worker runs must not depend on training or scene
generation code, so either can change without touching how a real photo is scored.
"""
