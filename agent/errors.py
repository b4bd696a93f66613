"""The agent's errors are the contract's one exception tree (contract/errors.py); re-exported for the agent's code."""

from contract.errors import CannotRunError, ConfigError, SchoolnetError, UsageError

__all__ = ["CannotRunError", "ConfigError", "SchoolnetError", "UsageError"]
