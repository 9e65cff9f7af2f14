"""Two-tower recommendations: feature preprocessing shared with training, vector stores and the HTTP router.

Torch-free on purpose: training imports `features` from here so that the features a tower was trained on
are byte-for-byte the features serving feeds it.
"""
