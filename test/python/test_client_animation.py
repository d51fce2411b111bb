"""gymhost.animate_run (the notes' animator.animate_run) and gymhost.plot_history."""

from __future__ import annotations

import io

import gymnasium as gym
import numpy as np
import pytest

import gymhost
from gymhost.animation import encode_png


@pytest.fixture(scope="module")
def trained(address: str):
    """A small_maze env and a tabular agent trained enough to walk from S to G."""
    preset = gymhost.presets(address=address)["seed-tabular-gridworld"]
    env = preset.make_env(address=address, seed=1)  # seeded: random starts are reproducible
    agent = gymhost.Agent(preset=preset.name, env=env, seed=1)
    agent.train(episodes=500)
    yield env, agent
    agent.close()
    env.close()


def test_encode_png_round_trip() -> None:
    Image = pytest.importorskip("PIL.Image")
    frame = np.random.default_rng(0).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(frame))).convert("RGB"))
    np.testing.assert_array_equal(decoded, frame)


def test_animate_greedy_run(trained, tmp_path) -> None:
    env, agent = trained
    anim = gymhost.animate_run(env, agent, seed=0, options={"start_row": 9, "start_col": 0})
    # The greedy policy of the seed's tabular agent walks the maze from S (9, 0) to G (9, 12).
    assert anim.steps == 58 and len(anim) == 59
    assert anim.total_reward == -57.0  # -1 per step, 0 for entering the goal
    assert all(f.dtype == np.uint8 and f.ndim == 3 for f in anim.frames)
    html = anim._repr_html_()
    assert html.count("data:image/png;base64,") == 59 and "<script>" in html
    assert "GridWorld-v0: 58 steps" in html
    page = anim.save(tmp_path / "run.html")
    assert page.read_text().startswith("<!doctype html>")
    Image = pytest.importorskip("PIL.Image")
    gif = anim.save(tmp_path / "run.gif")
    with Image.open(gif) as im:
        assert im.n_frames == 59 and im.size == (anim.frames[0].shape[1], anim.frames[0].shape[0])
    with pytest.raises(ValueError):
        anim.save(tmp_path / "run.mp4")


def test_animate_ansi_and_policies(address: str) -> None:
    with gymhost.make("CartPole-v1", address=address) as env:
        anim = gymhost.animate_run(env, lambda obs: int(obs[2] > 0), mode="ansi", seed=0, max_steps=20)
        assert isinstance(anim.frames[0], str) and len(anim) == 21
        assert "<pre" in anim.to_html()

        class Predictor:  # Stable-Baselines3's interface
            def predict(self, obs, deterministic=False):
                assert deterministic is True
                return np.array(1), None

        anim = gymhost.animate_run(env, Predictor(), seed=0)
        assert set(anim.actions) == {1} and anim.frames[0].shape == (400, 600, 3)
        anim = gymhost.animate_run(gym.wrappers.TimeLimit(env, 5), None, seed=1)  # random, wrapped
        assert anim.steps <= 5
        with pytest.raises(TypeError):
            gymhost.animate_run(env, 42)


def test_animate_a_local_gymnasium_env() -> None:
    pytest.importorskip("pygame", reason="Gymnasium renders CartPole with pygame")
    env = gym.make("CartPole-v1", render_mode="rgb_array")
    anim = gymhost.animate_run(env, lambda obs: 0, seed=0)
    assert anim.frames[0].shape == (400, 600, 3)


def test_plot_history(trained, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    env, agent = trained
    ax = gymhost.plot_history(agent, window=50, threshold=-60)
    lines = ax.get_lines()
    assert len(lines) == 3  # returns, moving average, threshold
    np.testing.assert_array_equal(lines[0].get_ydata(), agent.history().returns)
    assert ax.get_xlabel() == "episode"
    ax.figure.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 1000
    ax2 = gymhost.plot_history([1, 2, 3], window=2)
    np.testing.assert_allclose(ax2.get_lines()[1].get_ydata(), [1, 1.5, 2.5])
