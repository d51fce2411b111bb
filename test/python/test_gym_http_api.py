"""openai/gym-http-api's official Python client (vendored unmodified in vendor/gym_http_client.py)
driving gymhost's gym-http-api port (`gymhost serve --gym-http-api-port 0`): every method of the
client, CartPole-v1 episodes equal to Gymnasium's from the same seed, errors as the client's
ServerError with the server's message and status, and a token in the base URL with --users.

The dialect's only seed is the original server's optional `seed` of POST /v1/envs/ (it called
env.seed(seed)); the official client's env_create sends none, so the seeded episodes create
their env with a plain POST and then use the client for everything else.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import gymnasium
import numpy as np
import pytest
import requests
from gymnasium.utils.step_api_compatibility import convert_to_done_step_api

from conftest import REPO_ROOT, gym_http_api_address, start_server
from vendor.gym_http_client import Client, ServerError


def _create_seeded(base: str, seed: int, auth: tuple[str, str] | None = None) -> str:
    resp = requests.post(base + "/v1/envs/", json={"env_id": "CartPole-v1", "seed": seed}, auth=auth, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()["instance_id"]


def _same_observation(served: list[float], expected: np.ndarray) -> None:
    # The server writes each float32 as the double it is (as Python writes float(np.float32)):
    # equal as float64, not only after rounding to float32.
    assert np.array_equal(np.asarray(served, dtype=np.float64), np.asarray(expected, dtype=np.float32).astype(np.float64)), (served, expected)


def test_cartpole_episodes_equal_gymnasium_from_the_same_seed(gym_http_api) -> None:
    _, base = gym_http_api
    client = Client(base)
    seed = 7
    instance_id = _create_seeded(base, seed)
    env = gymnasium.make("CartPole-v1")
    rng = np.random.default_rng(0)
    endings = []
    try:
        for episode in range(3):
            # The seed applies to the first reset; later resets go on from the env's generator, as
            # gymnasium's reset() without a seed does after reset(seed=seed).
            served = client.env_reset(instance_id)
            expected, _ = env.reset(seed=seed) if episode == 0 else env.reset()
            _same_observation(served, expected)
            done = False
            steps = 0
            while not done:
                if episode == 0:
                    # A balancing controller: this episode lasts until the time limit (500 steps).
                    _, _, theta, theta_dot = served
                    action = int(theta + 0.5 * theta_dot > 0)
                elif episode == 1:
                    action = client.env_action_space_sample(instance_id)
                else:
                    action = int(rng.integers(2))
                served, reward, done, info = client.env_step(instance_id, action)
                e_obs, e_reward, e_done, e_info = convert_to_done_step_api(env.step(action))
                _same_observation(served, e_obs)
                assert reward == e_reward
                assert done == e_done
                assert info == e_info
                steps += 1
            endings.append((steps, info))
    finally:
        env.close()
        client.env_close(instance_id)
    assert endings[0] == (500, {"TimeLimit.truncated": True})
    assert all(info == {"TimeLimit.truncated": False} and steps < 500 for steps, info in endings[1:])


def test_every_client_method(gym_http_api) -> None:
    _, base = gym_http_api
    client = Client(base)
    instance_id = client.env_create("CartPole-v1")
    assert client.env_list_all()[instance_id] == "CartPole-v1"
    assert client.env_action_space_info(instance_id) == {"name": "Discrete", "n": 2}
    info = client.env_observation_space_info(instance_id)
    assert info["name"] == "Box" and info["shape"] == [4]
    # JSON has no infinities: unbounded components are written as the original server writes them.
    high = gymnasium.make("CartPole-v1").observation_space.high
    assert info["high"] == [float(h) if np.isfinite(h) else 1e100 for h in high]
    assert info["low"] == [-h for h in info["high"]]
    assert client.env_action_space_sample(instance_id) in (0, 1)
    assert client.env_action_space_contains(instance_id, 1) is True
    assert client.env_action_space_contains(instance_id, 2) is False
    assert client.env_observation_space_contains(instance_id, {"name": "Box", "shape": [4]}) is True
    assert client.env_observation_space_contains(instance_id, {"shape": [3]}) is False
    obs = client.env_reset(instance_id)
    assert len(obs) == 4
    obs, reward, done, info = client.env_step(instance_id, 0, render=True)
    assert (len(obs), reward, done, info) == (4, 1.0, False, {})

    with pytest.raises(ServerError) as monitor:
        client.env_monitor_start(instance_id, "/tmp/gym-monitor", force=True)
    assert monitor.value.status_code == 400 and "Monitor" in monitor.value.message
    with pytest.raises(ServerError) as monitor_close:
        client.env_monitor_close(instance_id)
    assert monitor_close.value.status_code == 400
    with pytest.raises(ServerError) as upload:
        client.upload("/tmp/gym-monitor", api_key="key")
    assert upload.value.status_code == 400 and "scoreboard" in upload.value.message
    with pytest.raises(ServerError) as shutdown:
        client.shutdown_server()
    assert shutdown.value.status_code == 403 and "SIGTERM" in shutdown.value.message

    client.env_close(instance_id)
    assert instance_id not in client.env_list_all()
    with pytest.raises(ServerError) as gone:
        client.env_reset(instance_id)
    assert gone.value.status_code == 404


def test_bad_input_is_a_server_error_with_the_message(gym_http_api) -> None:
    _, base = gym_http_api
    client = Client(base)
    with pytest.raises(ServerError) as unknown:
        client.env_create("CartPole-v0")
    assert unknown.value.status_code == 400
    assert "unknown env id 'CartPole-v0'; available: CartPole-v1, GridWorld-v0" in unknown.value.message
    instance_id = client.env_create("CartPole-v1")
    client.env_reset(instance_id)
    with pytest.raises(ServerError) as out_of_range:
        client.env_step(instance_id, 2)
    assert out_of_range.value.status_code == 400
    assert "action must be an integer in [0, 1]" in out_of_range.value.message
    with pytest.raises(ServerError) as not_int:
        client.env_action_space_contains(instance_id, "left")
    assert not_int.value.status_code == 400 and "decimal integer" in not_int.value.message
    client.env_close(instance_id)


def test_gridworld_observations_are_integers(gym_http_api) -> None:
    _, base = gym_http_api
    client = Client(base)
    instance_id = client.env_create("GridWorld-v0")
    assert client.env_action_space_info(instance_id) == {"name": "Discrete", "n": 4}
    n = client.env_observation_space_info(instance_id)["n"]
    obs = client.env_reset(instance_id)
    assert isinstance(obs, int) and 0 <= obs < n
    obs, reward, done, info = client.env_step(instance_id, 3)
    assert isinstance(obs, int) and isinstance(reward, (int, float)) and isinstance(done, bool)
    client.env_close(instance_id)


def _add_user(users: Path, name: str, role: str) -> str:
    args = ["node", "bin/gymhost.js", "users", "add", name, "--role", role, "--file", str(users)]
    out = subprocess.run(args, cwd=REPO_ROOT, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    """A server with --users and the gym-http-api port: (base URL, tokens by user)."""
    users = tmp_path_factory.mktemp("gym-http-api-users") / "users.json"
    tokens = {name: _add_user(users, name, "student") for name in ("alice", "bob")}
    srv = start_server("--users", str(users), "--gym-http-api-port", "0", "--workers", "1")
    try:
        yield gym_http_api_address(srv), tokens
    finally:
        srv.stop()


def test_token_in_the_base_url_and_isolation(class_server) -> None:
    base, tokens = class_server
    with_token = lambda user, token: base.replace("://", f"://{user}:{token}@", 1)  # noqa: E731
    with pytest.raises(ServerError) as anonymous:
        Client(base).env_list_all()
    assert anonymous.value.status_code == 401 and "USER:TOKEN@" in anonymous.value.message

    alice = Client(with_token("alice", tokens["alice"]))
    bob = Client(with_token("bob", tokens["bob"]))
    instance_id = alice.env_create("CartPole-v1")
    assert alice.env_list_all() == {instance_id: "CartPole-v1"}
    assert len(alice.env_reset(instance_id)) == 4
    # Bob neither sees nor reaches alice's env: the same 404 as an id that does not exist.
    assert instance_id not in bob.env_list_all()
    with pytest.raises(ServerError) as hidden:
        bob.env_step(instance_id, 1)
    assert hidden.value.status_code == 404 and "does not exist" in hidden.value.message
    # A token under another user's name is refused.
    with pytest.raises(ServerError) as mismatch:
        Client(with_token("alice", tokens["bob"])).env_list_all()
    assert mismatch.value.status_code == 401 and "not the user of the token" in mismatch.value.message
    # The seed route with requests' own Basic auth, as the official client's URL form sends it.
    seeded = _create_seeded(base, 3, auth=("bob", tokens["bob"]))
    assert bob.env_list_all() == {seeded: "CartPole-v1"}
    alice.env_close(instance_id)
    bob.env_close(seeded)
