"""The experiment layer's typed error (re-exported by ``rnn_viz.experiment.config``)."""
from __future__ import annotations


class ConfigError(ValueError):
    """A bad experiment: unknown key, bad value or unreadable file.

    ``key`` is the dotted key at fault (``"training.k2"``) or None; ``source`` the file (or ``--set``).
    The message template holds ``{key}`` where the key goes, so a ``[compare]`` error can name
    ``compare.training.k2`` although it was found while validating the merged ``training`` table.
    """

    def __init__(self, template: str, key: str | None = None, source: str | None = None):
        self.template, self.key, self.source = template, key, source
        text = template.replace("{key}", key or "")
        super().__init__(f"{source}: {text}" if source else text)

    def located(self, source: str | None = None, prefix: str = "") -> ConfigError:
        """The same error attributed to ``source`` with ``prefix`` put before the key."""
        key = prefix + self.key if self.key is not None else None
        return ConfigError(self.template, key, source if source is not None else self.source)
