"""Typed errors of the engine."""


class EngineError(ValueError):
    """A request the engine cannot carry out (bad shapes, unknown cell, bad option)."""


class DivergenceError(ArithmeticError):
    """A step produced a non-finite loss, gradient or parameter; nothing was changed.

    ``what`` names the first offender ("loss", "gradient of Whh.0", "update of Wxh.0").
    """

    def __init__(self, what: str, step: int | None = None, hint: str = ""):
        self.what = what
        self.step = step
        at = f" at update {step}" if step is not None else ""
        self.hint = hint or (
            "Lower the learning rate, enable gradient clipping (training.clip_norm), "
            "or lower the spectral radius of the recurrent weights."
        )
        super().__init__(f"training diverged{at}: non-finite {what}. Parameters were left as they were. {self.hint}")
