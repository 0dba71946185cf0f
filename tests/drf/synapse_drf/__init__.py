"""An independent Django REST Framework server speaking the Synapse ML protocol.

It exists to prove the C client against a real DRF stack that is not this
project's own test backend; see ../README.md.
"""
