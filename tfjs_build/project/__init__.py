"""The project side of a build, standard library only: configuration, lockfile, fingerprints,
the build cache, model selection, freshness, and the build session that ties them together.

Nothing in this package imports TensorFlow or numpy at import time, so ``tfjs-build check``, the
doit task loading and cache restores stay fast; converting a model imports them when it must.
"""
