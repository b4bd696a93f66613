"""One exception tree for the agent; the CLI maps it to the contract's exit codes."""


class SchoolnetError(Exception):
    """Base of every error schoolnet raises on purpose."""

    exit_code = 3


class UsageError(SchoolnetError):
    """Bad input from the user: a config file, a flag, a file to analyse. Exit 2."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration file is missing, malformed or fails validation. Exit 2."""


class CannotRunError(SchoolnetError):
    """The command could not run at all (a dependency or the environment is missing). Exit 3."""

    exit_code = 3
