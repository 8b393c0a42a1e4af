"""Sample: a bounded, FK-consistent, read-only sample of the source as frames.

``sampler`` (:func:`~dbsynth.sampling.sampler.sample_database`, how rows are chosen), ``reader``
(the SELECTs), ``dialects`` (what differs between backends), ``result`` (the frames and how each
table was sampled), ``frames`` (rows to typed frames).
"""
