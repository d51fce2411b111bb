"""animate_run: record a (greedy) run of an agent and play it back inline in Jupyter.

The notes end each run with ``animator.animate_run()``; here::

    anim = gymhost.animate_run(env, agent)   # displays inline as the cell's value
    anim.save("run.html")                    # or "run.gif" (needs Pillow)

No plotting library is needed: frames are the server's own rgb_array renderings, embedded
as PNGs in a small self-contained HTML player (play/pause, step, a slider, speed).
"""

from __future__ import annotations

import base64
import html
import json
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .plots import PLOTS_INSTALL

__all__ = ["Animation", "animate_run", "encode_png", "policy_of"]


class Animation:
    """Frames of a run (HxWx3 uint8 arrays, or text for ``ansi``) and what happened in it.

    Displays itself inline in Jupyter (``_repr_html_``); :meth:`save` writes .html or .gif.
    """

    def __init__(self, frames: list[Any], fps: float = 30, actions: list[Any] | None = None, rewards: list[float] | None = None, title: str = "") -> None:
        if not frames:
            raise ValueError("an animation needs at least one frame")
        self.frames = frames
        self.fps = float(fps)
        self.actions = actions or []
        self.rewards = rewards or []
        self.title = title

    @property
    def total_reward(self) -> float:
        return float(sum(self.rewards))

    @property
    def steps(self) -> int:
        return len(self.actions)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<gymhost.Animation {len(self.frames)} frames, {self.steps} steps, return {self.total_reward:g}>"

    # ---- HTML ------------------------------------------------------------------------------------

    def to_html(self, autoplay: bool = True) -> str:
        """A self-contained HTML fragment: the frames and a small JavaScript player."""
        uid = "gymhost-" + uuid.uuid4().hex[:12]
        text = isinstance(self.frames[0], str)
        if text:
            items = [html.escape(f) for f in self.frames]
        else:
            items = ["data:image/png;base64," + base64.b64encode(encode_png(f)).decode("ascii") for f in self.frames]
        rewards = [0.0, *np.cumsum(np.asarray(self.rewards, dtype=np.float64)).tolist()]
        rewards += [rewards[-1]] * (len(items) - len(rewards))
        caption = html.escape(self.title) + (" &middot; " if self.title else "")
        if text:
            view = f'<pre id="{uid}-view" style="font-family:monospace;line-height:1.1;margin:0"></pre>'
        else:
            h, w = np.asarray(self.frames[0]).shape[:2]
            zoom = max(1, 480 // max(1, w))  # small frames (a gridworld) shown larger, pixels kept sharp
            view = f'<img id="{uid}-view" width="{w * zoom}" height="{h * zoom}" style="max-width:100%;height:auto;image-rendering:pixelated">'
        return f"""<div id="{uid}" class="gymhost-animation" style="display:inline-block;font-family:sans-serif;font-size:13px">
{view}
<div style="display:flex;gap:6px;align-items:center;margin-top:4px">
<button id="{uid}-prev" title="previous frame">&#9664;&#9646;</button>
<button id="{uid}-play" title="play / pause">&#9654;</button>
<button id="{uid}-next" title="next frame">&#9646;&#9654;</button>
<input id="{uid}-slider" type="range" min="0" max="{len(items) - 1}" value="0" style="flex:1">
<select id="{uid}-speed" title="speed"><option value="0.25">0.25x</option><option value="0.5">0.5x</option><option value="1" selected>1x</option><option value="2">2x</option><option value="4">4x</option></select>
</div>
<div id="{uid}-label" style="color:#555">{caption}</div>
<script>
(function() {{
  var frames = {json.dumps(items)};
  var rewards = {json.dumps(rewards)};
  var text = {json.dumps(text)}, fps = {self.fps!r}, caption = {json.dumps(caption)};
  var root = "{uid}", i = 0, timer = null;
  function el(s) {{ return document.getElementById(root + "-" + s); }}
  function show(k) {{
    i = Math.max(0, Math.min(frames.length - 1, k));
    if (text) el("view").innerHTML = frames[i]; else el("view").src = frames[i];
    el("slider").value = i;
    el("label").innerHTML = caption + "frame " + i + " / " + (frames.length - 1) + " &middot; return " + (+rewards[i].toFixed(4));
  }}
  function stop() {{ if (timer) {{ clearInterval(timer); timer = null; }} el("play").innerHTML = "&#9654;"; }}
  function play() {{
    stop();
    if (i >= frames.length - 1) show(0);
    el("play").innerHTML = "&#10074;&#10074;";
    timer = setInterval(function() {{ if (i >= frames.length - 1) stop(); else show(i + 1); }}, 1000 / (fps * parseFloat(el("speed").value)));
  }}
  el("play").onclick = function() {{ if (timer) stop(); else play(); }};
  el("prev").onclick = function() {{ stop(); show(i - 1); }};
  el("next").onclick = function() {{ stop(); show(i + 1); }};
  el("slider").oninput = function() {{ stop(); show(parseInt(this.value, 10)); }};
  el("speed").onchange = function() {{ if (timer) play(); }};
  show(0);
  if ({json.dumps(autoplay)}) play();
}})();
</script>
</div>"""

    def _repr_html_(self) -> str:
        return self.to_html()

    # ---- files -----------------------------------------------------------------------------------

    def save(self, path: str | Path, fps: float | None = None) -> Path:
        """Writes the animation: ``.html`` (a standalone page) or ``.gif`` (needs Pillow)."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix in (".html", ".htm"):
            title = html.escape(self.title or "gymhost run")
            p.write_text(f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{title}</title></head><body>\n{self.to_html()}\n</body></html>\n", encoding="utf-8")
        elif suffix == ".gif":
            if isinstance(self.frames[0], str):
                raise ValueError("text (ansi) frames can only be saved as .html")
            try:
                from PIL import Image
            except ImportError:
                raise ImportError(f"saving a .gif needs Pillow: {PLOTS_INSTALL}") from None
            images = [Image.fromarray(np.asarray(f, dtype=np.uint8)).convert("P", palette=Image.Palette.ADAPTIVE, colors=64) for f in self.frames]
            # GIF frame delays are whole hundredths of a second; at least 20 ms.
            duration = max(20, int(round(1000 / (fps or self.fps) / 10)) * 10)
            images[0].save(p, save_all=True, append_images=images[1:], duration=duration, loop=0, optimize=False)
        else:
            raise ValueError(f"save as .html or .gif, not {p.suffix or 'no suffix'}")
        return p


def encode_png(frame: np.ndarray, level: int = 6) -> bytes:
    """An HxWx3 (or HxW) uint8 array as PNG bytes (zlib only, no imaging library)."""
    a = np.asarray(frame)
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        color = 0
        channels = 1
    elif a.ndim == 3 and a.shape[2] in (3, 4):
        channels = a.shape[2]
        color = 2 if channels == 3 else 6
    else:
        raise ValueError(f"expected an HxW or HxWx3 image, got shape {a.shape}")
    h, w = a.shape[:2]
    rows = np.empty((h, 1 + w * channels), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (none) on every scanline
    rows[:, 1:] = a.reshape(h, w * channels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), level)) + chunk(b"IEND", b"")


def policy_of(agent: Any, env: Any, greedy: bool = True) -> Callable[[Any], Any]:
    """An ``observation -> action`` function from a gymhost Agent (greedy), an object with
    Stable-Baselines3's ``predict(obs, deterministic=...)``, a plain callable, or None (random)."""
    from .agent import Agent

    if agent is None:
        return lambda _obs: env.action_space.sample()
    if isinstance(agent, Agent):
        return lambda obs: agent.choose_action(obs, greedy=greedy)
    predict = getattr(agent, "predict", None)
    if callable(predict):

        def sb3(obs: Any) -> Any:
            action, _ = predict(obs, deterministic=greedy)
            return action.item() if isinstance(action, np.ndarray) and action.size == 1 else action

        return sb3
    if callable(agent):
        return agent
    raise TypeError(f"cannot act with {type(agent).__name__}: give a gymhost.Agent, an SB3 model, a callable obs -> action, or None")


def animate_run(
    env: Any,
    agent: Any = None,
    *,
    seed: int | None = None,
    options: dict[str, Any] | None = None,
    max_steps: int | None = None,
    greedy: bool = True,
    mode: str = "rgb_array",
    fps: float | None = None,
    title: str | None = None,
) -> Animation:
    """Runs one episode of ``agent`` on ``env`` (greedy by default) and records every frame.

    Args:
        env: a gymhost RemoteEnv (frames are rendered by the server whatever its
            render_mode), possibly wrapped, or any gymnasium env with ``render_mode="rgb_array"``.
        agent: a :class:`gymhost.Agent`, an SB3 model, a callable ``obs -> action``, or None
            for random actions.
        seed, options: passed to ``env.reset``.
        max_steps: stop after this many steps (default: the env's episode limit, or 1000).
        mode: ``"rgb_array"`` (images) or ``"ansi"`` (text frames; RemoteEnv only).

    Returns an :class:`Animation`; as the last value of a Jupyter cell it plays inline.
    """
    from .env import RemoteEnv

    inner = getattr(env, "unwrapped", env)
    remote = isinstance(inner, RemoteEnv)
    if remote:

        def frame() -> Any:
            return inner.render_frame(mode)

    else:
        if getattr(env, "render_mode", None) != mode:
            raise ValueError(f"animate_run needs a gymhost RemoteEnv or an env made with render_mode={mode!r}")
        frame = env.render
    act = policy_of(agent, env, greedy)
    limit = max_steps or getattr(inner, "max_episode_steps", None) or 1000
    obs, _ = env.reset(seed=seed, options=options)
    frames = [frame()]
    actions: list[Any] = []
    rewards: list[float] = []
    for _ in range(int(limit)):
        action = act(obs)
        obs, reward, terminated, truncated, _ = env.step(action)
        actions.append(action)
        rewards.append(float(reward))
        frames.append(frame())
        if terminated or truncated:
            break
    metadata = getattr(env, "metadata", {}) or {}
    env_name = getattr(inner, "env_id", None) or (env.spec.id if getattr(env, "spec", None) else type(inner).__name__)
    label = title if title is not None else f"{env_name}: {len(actions)} steps, return {sum(rewards):g}"
    return Animation(frames, fps=fps or metadata.get("render_fps") or 30, actions=actions, rewards=rewards, title=label)
