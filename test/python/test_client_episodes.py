"""The server's episode log from Python, and attaching to a session made elsewhere (what the
grader does: it makes the session, the student's code steps it)."""

from __future__ import annotations

import gymhost
from gymhost.v1 import env_service_pb2


def test_episode_log_matches_what_the_loop_saw(client) -> None:
    env = gymhost.make("GridWorld-v0", client=client, world="small_moat")
    totals = []
    for seed in (3, 4):
        env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total += reward
            done = terminated or truncated
        totals.append(total)
    log = env.episodes()
    assert [e.episode_return for e in log] == totals
    assert [e.seed for e in log] == [3, 4]
    assert all(e.terminated or e.truncated for e in log)
    env.close()


def test_attach_to_a_session_steps_it_and_leaves_it_open(client) -> None:
    owner = gymhost.make("CartPole-v1", client=client, seed=1)
    other = gymhost.make("CartPole-v1", client=client, session_id=owner.id)
    assert other.attached and other.id == owner.id
    assert other.observation_space == owner.observation_space
    other.reset(seed=9)
    other.step(0)
    other.close()
    assert client.list_episodes(owner.id) == []  # the episode is still running
    info = client.call(client.env_stub.GetEnv, env_service_pb2.GetEnvRequest(id=owner.id))
    assert info.env.total_steps == 1
    owner.close()
