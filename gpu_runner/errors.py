"""Exceptions shared by the runner's parent process and its measurement child processes."""


class LabCancelled(Exception):
    """The site cancelled the job; the measurement was stopped."""


class ChildFailed(Exception):
    """A measurement child process raised, crashed or ran out of time."""


class Unsupported(Exception):
    """This host cannot run the requested configuration for real; the message says why."""
