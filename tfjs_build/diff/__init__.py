"""``tfjs-build diff``: what changed in each model's artifact between a git ref and the working
tree, for a person reviewing a pull request. Standard library only (no numpy, no TensorFlow)."""
