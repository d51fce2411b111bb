"""gymhost.Agent against a real server: the seed's functions, server-side train/evaluate,
history, export/import, DQN agents and agents made from spaces."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import gymhost


@pytest.fixture
def maze(address: str):
    with gymhost.make("GridWorld-v0", address=address, world="small_maze") as env:
        yield env


def test_presets(address: str) -> None:
    presets = gymhost.presets(address=address)
    p = presets["seed-tabular-gridworld"]
    assert p.kind == "tabular" and p.env_id == "GridWorld-v0"
    assert p.config["gamma"] == 0.8 and p.env_config["world"] == "small_maze"
    with p.make_env(address=address) as env:
        assert env.config["random_start"] is True
        assert env.reward_function == p.reward_function


def test_the_seeds_update_is_tabular_q(address: str, maze) -> None:
    """alpha = 1: Q[s][a] = r + gamma * max(Q[s']) (and = r when done), as in the notes."""
    with gymhost.Agent("tabular", env=maze, config={"alpha": 1, "gamma": 0.5}, seed=0) as agent:
        assert agent.kind == "tabular" and agent.observation_space == maze.observation_space
        s = int(maze.reset(seed=0)[0])
        r1 = agent.update_Q(s + 1, s, 2, -1.0, False)  # Q[s+1][2] = -1 + 0.5 * max Q[s] = -1
        assert r1.new_q.tolist() == [-1.0]
        r2 = agent.update_Q(s, s + 1, 3, -1.0, False)  # Q[s][3] = -1 + 0.5 * max(Q[s+1]) = -1 + 0.5 * 0
        assert r2.new_q.tolist() == [-1.0]
        r3 = agent.update_q(state=s, next_state=s + 1, action=0, reward=5.0, done=True)  # done: Q = r
        assert r3.new_q.tolist() == [5.0]
        q = agent.q_values()
        assert q.shape == (143, 4) and q.dtype == np.float32
        assert q[s].tolist() == [5.0, 0.0, 0.0, -1.0] and q[s + 1, 2] == -1.0
        assert agent.choose_action(np.int64(s), greedy=True) == 0
        choice = agent.choose(s, greedy=True)
        assert choice.action == 0 and choice.q_values.tolist() == q[s].tolist() and choice.explored is False


def test_seed_loop_with_remote_agent(address: str) -> None:
    """The notes' loop, unchanged, with the agent's functions and a SeedSimulator."""
    with gymhost.make("GridWorld-v0", address=address, world="small_maze") as env, gymhost.Agent(preset="seed-tabular-gridworld", env=env, seed=3) as agent:
        simulator = gymhost.SeedSimulator(env, seed=0)
        choose_action, update_Q = agent.choose_action, agent.update_Q
        totals = []
        for _ in range(3):
            state = simulator.reset()
            total_reward = 0
            done = False
            steps = 0
            while done == False:  # noqa: E712 (verbatim)
                action = choose_action(state)
                next_state, reward, done = simulator.step(action)
                update_Q(state, next_state, action, reward, done)
                total_reward += reward
                state = next_state
                steps += 1
            end = agent.end_episode(total_reward, steps)
            assert end.record.episode_return == total_reward and end.record.length == steps
            totals.append(total_reward)
        history = agent.history()
        assert len(history) == history.total == 3
        assert history.returns.tolist() == totals
        assert agent.refresh().episodes == 3


def test_train_evaluate_history(address: str) -> None:
    preset = gymhost.presets(address=address)["seed-tabular-gridworld"]
    with preset.make_env(address=address) as env, gymhost.Agent(preset=preset.name, env=env, seed=1) as agent:
        seen = []
        summary = agent.train(episodes=300, callback=seen.append)
        assert isinstance(summary, gymhost.TrainSummary)
        assert summary.episodes == 300 and not summary.cancelled and summary.steps > 300
        assert [r.episode for r in seen] == list(range(1, 301)) or [r.episode for r in seen] == list(range(300))
        history = agent.history()
        assert len(history) == 300 and history.lengths.sum() == summary.steps
        assert len(agent.history(offset=290)) == 10 and len(agent.history(limit=5)) == 5
        result = agent.evaluate(episodes=20, seed=0, record_trajectories=True)
        assert result.returns.shape == (20,) and result.lengths.dtype == np.int64
        assert result.mean_reward == pytest.approx(result.returns.mean())
        t = result.trajectories[0]
        assert t.observations.shape == (result.lengths[0] + 1,) and t.observations.dtype == np.int64
        assert len(t.actions) == len(t.rewards) == result.lengths[0]
        assert agent.evaluate(episodes=20, seed=0).returns.tolist() == result.returns.tolist()  # deterministic


def test_train_iter_and_cancel(address: str) -> None:
    with gymhost.make("GridWorld-v0", address=address, world="large_maze") as env, gymhost.Agent("tabular", env=env, seed=0) as agent:
        events = list(agent.train_iter(episodes=5))
        assert len(events) == 6 and isinstance(events[-1], gymhost.TrainSummary)
        summary = agent.train(episodes=2000, callback=lambda r: r.episode < 3)
        assert summary.cancelled and 1 <= summary.episodes < 2000
        # cancelling released the agent and the env: both work again
        assert not agent.refresh().training or _eventually(lambda: not agent.refresh().training)
        env.reset(seed=0)
        agent.choose_action(0)


def _eventually(check, seconds: float = 5.0) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_export_and_load(address: str, maze, tmp_path) -> None:
    with gymhost.Agent("tabular", env=maze, seed=0) as agent:
        agent.train(episodes=20)
        exported = agent.export()
        assert exported.format == "gymhost-agent-v1" and exported.data
        path = agent.save(tmp_path / "maze.agent")
        for source in (exported, path, exported.data):
            with gymhost.Agent.load(source, env=maze) as copy:
                assert copy.id != agent.id
                np.testing.assert_array_equal(copy.q_values(), agent.q_values())


def test_dqn_agent(address: str, tmp_path) -> None:
    with gymhost.make("CartPole-v1", address=address) as env, gymhost.Agent(preset="fast-cartpole-dqn", env=env, seed=0) as agent:
        assert agent.kind == "dqn" and agent.config["hidden_sizes"] == [32, 32]
        obs, _ = env.reset(seed=0)
        choice = agent.choose(obs)
        assert choice.q_values.shape == (2,) and 0 <= choice.action < 2 and choice.epsilon == 1.0
        transitions = []
        for _ in range(40):
            a = agent.choose_action(obs)
            nxt, r, te, tr, _ = env.step(a)
            transitions.append((obs, a, r, nxt, te))
            obs = nxt if not (te or tr) else env.reset()[0]
        result = agent.update_batch(transitions)
        assert result.td_errors.shape == (40,)
        q = agent.q_values([t[0] for t in transitions[:3]])
        assert q.shape == (3, 2)
        exported = agent.export()
        assert '"layers-model"' in exported.tfjs_model_json and exported.tfjs_weights
        exported.save(tmp_path / "dqn.agent")
        assert (tmp_path / "dqn.agent.tfjs" / "model.json").exists()


def test_agent_from_spaces(address: str) -> None:
    obs_space = gym.spaces.Box(-1, 1, shape=(3,), dtype=np.float32)
    with gymhost.Agent("dqn", observation_space=obs_space, action_space=gym.spaces.Discrete(4), address=address, seed=0, hidden_sizes=[8]) as agent:
        assert agent.observation_space == obs_space
        assert 0 <= agent.choose_action([0.1, 0.2, 0.3]) < 4


def test_train_errors_are_raised(address: str) -> None:
    obs_space = gym.spaces.Box(-1, 1, shape=(3,), dtype=np.float32)
    with gymhost.Agent("dqn", observation_space=obs_space, action_space=gym.spaces.Discrete(4), address=address, seed=0) as agent:
        with pytest.raises(gymhost.InvalidArgumentError) as err:
            agent.train(episodes=1, timeout=2)  # no env to train on
        assert err.value.field == "env"


def test_agent_errors(address: str, maze) -> None:
    with pytest.raises(gymhost.InvalidArgumentError) as err:
        gymhost.Agent(preset="no-such-preset", env=maze)
    assert err.value.field == "preset" and err.value.reason == "UNKNOWN_PRESET"
    agent = gymhost.Agent("tabular", env=maze)
    with pytest.raises(gymhost.InvalidArgumentError) as err:
        agent.choose_action(10_000)
    assert err.value.field == "state"
    agent.close()
    agent.close()
    with pytest.raises(gymhost.NotFoundError):
        agent.choose_action(0)
    with pytest.raises(gymhost.NotFoundError):
        gymhost.Agent(id=agent.id, client=maze.client)
