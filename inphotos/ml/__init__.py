"""The embedder: open_clip models, device and precision, text and image encoding.

torch and open_clip are imported only inside this package, and lazily, so the window opens
before the model loads.
"""
