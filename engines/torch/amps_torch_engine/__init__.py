"""amps-torch-engine: a PyTorch + transformers engine serving amps' engine protocol
(docs/ENGINE_PROTOCOL.md) over stdin/stdout."""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
ENGINE_NAME = "amps-torch-engine"
