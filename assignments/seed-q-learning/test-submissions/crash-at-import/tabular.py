"""Reference solution of part `tabular`: the notes' Q-learning, verbatim in spirit.

Q(s, a) = r                               if the step ended the episode (done)
Q(s, a) = r + gamma * max_a' Q(s', a')    otherwise
with a random action with probability `explore`, else argmax Q(s, .).
"""

import numpy as np

raise RuntimeError("this submission does not even import")


class Agent:
    def __init__(self, num_states, num_actions, gamma=0.8, explore=0.2, seed=None):
        self.num_states = num_states
        self.num_actions = num_actions
        self.gamma = gamma
        self.explore = explore
        self.Q = np.zeros((num_states, num_actions))
        self.rng = np.random.default_rng(seed)

    def choose_action(self, state):
        if self.rng.random() < self.explore:
            return int(self.rng.integers(self.num_actions))
        return int(np.argmax(self.Q[state, :]))

    def update_Q(self, state, next_state, action, reward, done):
        q_update = reward
        if not done:
            q_update += self.gamma * np.max(self.Q[next_state, :])
        self.Q[state, action] = q_update


def train(env, agent, episodes):
    """Runs `episodes` episodes of the notes' loop; returns each episode's total reward."""
    history = []
    for _ in range(episodes):
        state, _ = env.reset()
        total_reward, done = 0.0, False
        while not done:
            action = agent.choose_action(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            # A time limit is not the end of the task: only termination stops the bootstrap.
            agent.update_Q(state, next_state, action, reward, terminated)
            total_reward += reward
            state = next_state
            done = terminated or truncated
        history.append(total_reward)
    return history
