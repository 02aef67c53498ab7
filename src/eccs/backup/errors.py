"""What can stop a backup or a restore; each message says what to do next."""


class BackupError(Exception):
    """A backup or restore that cannot go on; nothing was changed by the failed step."""


class CorruptBackup(BackupError):
    """A backup whose contents do not match its manifest: it is never restored."""
