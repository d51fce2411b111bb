"""plot_history: the episode-return history of an agent, drawn with matplotlib."""

from __future__ import annotations

from typing import Any

import numpy as np

#: What installs the plotting extra (matplotlib, Pillow), from the repository's root.
PLOTS_INSTALL = 'pip install "./clients/python[plots]"'


def require_plotting(*, matplotlib: bool = True, pillow: bool = False) -> None:
    """Raises ImportError naming the install command unless matplotlib (and, with
    ``pillow``, Pillow) can be imported. Scripts call it before long work whose output needs
    them (a plot or a GIF at the end of training)."""
    missing = []
    if matplotlib:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            missing.append("matplotlib")
    if pillow:
        try:
            import PIL  # noqa: F401
        except ImportError:
            missing.append("Pillow")
    if missing:
        raise ImportError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed: {PLOTS_INSTALL}")


def _returns(source: Any) -> tuple[np.ndarray, str]:
    from .agent import Agent, History

    if isinstance(source, Agent):
        return source.history().returns, f"{source.kind} agent {source.id}"
    if isinstance(source, History):
        return source.returns, ""
    arr = np.asarray(source, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D sequence of episode returns, got shape {arr.shape}")
    return arr, ""


def moving_average(values: Any, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, v.size + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def plot_history(source: Any, *, window: int = 20, ax: Any = None, title: str | None = None, threshold: float | None = None) -> Any:
    """Plots the return of every episode and its moving average; returns the matplotlib Axes.

    Args:
        source: a :class:`gymhost.Agent` (its history is fetched), a History, or a sequence
            of episode returns.
        window: episodes in the moving average (0 = none).
        ax: an Axes to draw on (default: a new figure).
        threshold: draws a horizontal line, e.g. CartPole's 475.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(f"plot_history needs matplotlib: {PLOTS_INSTALL}") from None
    returns, label = _returns(source)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    episodes = np.arange(1, returns.size + 1)
    ax.plot(episodes, returns, color="#9ab", linewidth=0.8, label="episode return")
    if window and returns.size:
        ax.plot(episodes, moving_average(returns, window), color="#c33", linewidth=2, label=f"mean of last {window}")
    if threshold is not None:
        ax.axhline(threshold, color="#3a3", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    ax.set_xlabel("episode")
    ax.set_ylabel("total reward")
    ax.set_title(title if title is not None else (label or "history of total episode rewards"))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax
