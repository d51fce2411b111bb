"""Reference solution of part `dqn`: the notes' deep Q-learning with NumPy only.

An MLP Q(s, .; theta) with two hidden ReLU layers, a replay queue of (s, a, r, s', done),
a gradient step of the least-squares cost on a minibatch after every step with targets
q = r (done) or r + gamma * max_a' Q(s', a'; theta^-) from a target network theta^- that is
copied from theta every `target_every` steps (double DQN: the next action chosen by theta),
and an exploration probability that decays linearly.
"""

import numpy as np


class Agent:
    def __init__(self, observation_size, num_actions, hidden=32, gamma=0.98, learning_rate=2e-3, batch_size=32,
                 replay_capacity=10000, learning_starts=500, target_every=100, explore_start=1.0,
                 explore_end=0.01, explore_steps=5000, seed=None):
        self.num_actions = num_actions
        self.gamma = gamma
        self.lr = learning_rate
        self.batch_size = batch_size
        self.learning_starts = learning_starts
        self.target_every = target_every
        self.explore_start, self.explore_end, self.explore_steps = explore_start, explore_end, explore_steps
        self.rng = np.random.default_rng(seed)
        sizes = [observation_size, hidden, hidden, num_actions]
        self.params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6 / (n_in + n_out))
            self.params += [self.rng.uniform(-limit, limit, (n_in, n_out)), np.zeros(n_out)]
        self.target = [p.copy() for p in self.params]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.adam_t = 0
        self.states = np.zeros((replay_capacity, observation_size))
        self.next_states = np.zeros((replay_capacity, observation_size))
        self.actions = np.zeros(replay_capacity, dtype=np.int64)
        self.rewards = np.zeros(replay_capacity)
        self.dones = np.zeros(replay_capacity)
        self.size = 0
        self.at = 0
        self.steps = 0
        #: False once training is good enough (train() stops learning, as the course's recipe does).
        self.learning = True

    @property
    def explore(self):
        frac = min(1.0, self.steps / self.explore_steps)
        return self.explore_start + frac * (self.explore_end - self.explore_start)

    def _forward(self, params, x):
        h1 = np.maximum(0, x @ params[0] + params[1])
        h2 = np.maximum(0, h1 @ params[2] + params[3])
        return h1, h2, h2 @ params[4] + params[5]

    def choose_action(self, state, greedy=False):
        if not greedy and self.learning and self.rng.random() < self.explore:
            return int(self.rng.integers(self.num_actions))
        return int(np.argmax(self._forward(self.params, np.asarray(state, dtype=np.float64)[None])[2][0]))

    def update_Q(self, state, next_state, action, reward, done):
        i = self.at
        self.states[i], self.next_states[i] = state, next_state
        self.actions[i], self.rewards[i], self.dones[i] = action, reward, float(done)
        self.at = (self.at + 1) % len(self.states)
        self.size = min(self.size + 1, len(self.states))
        self.steps += 1
        if self.learning and self.size >= self.learning_starts:
            self._gradient_step()
        if self.steps % self.target_every == 0:
            self.target = [p.copy() for p in self.params]

    def end_episode(self):
        pass

    def _gradient_step(self):
        idx = self.rng.integers(self.size, size=self.batch_size)
        s, s2 = self.states[idx], self.next_states[idx]
        a, r, d = self.actions[idx], self.rewards[idx], self.dones[idx]
        # Double DQN: the next action by the online network, its value by the target network.
        best = self._forward(self.params, s2)[2].argmax(axis=1)
        q_next = self._forward(self.target, s2)[2][np.arange(len(best)), best]
        q = r + self.gamma * q_next * (1.0 - d)
        h1, h2, out = self._forward(self.params, s)
        err = out[np.arange(len(a)), a] - q
        # Gradient of the mean squared error of the taken actions' values (the others' targets
        # are their own values: the notes' phantom outputs).
        g_out = np.zeros_like(out)
        g_out[np.arange(len(a)), a] = 2.0 * err / len(a)
        p = self.params
        g_h2 = (g_out @ p[4].T) * (h2 > 0)
        g_h1 = (g_h2 @ p[2].T) * (h1 > 0)
        grads = [s.T @ g_h1, g_h1.sum(0), h1.T @ g_h2, g_h2.sum(0), h2.T @ g_out, g_out.sum(0)]
        norm = np.sqrt(sum(float((g * g).sum()) for g in grads))
        if norm > 10.0:
            grads = [g * (10.0 / norm) for g in grads]
        self.adam_t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        for k, g in enumerate(grads):
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
            m_hat = self.m[k] / (1 - b1 ** self.adam_t)
            v_hat = self.v[k] / (1 - b2 ** self.adam_t)
            self.params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + eps)


def train(env, agent, episodes):
    """Runs `episodes` episodes; returns each episode's total reward."""
    history = []
    for _ in range(episodes):
        state, _ = env.reset()
        total_reward, done = 0.0, False
        while not done:
            action = agent.choose_action(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update_Q(state, next_state, action, reward, terminated)
            total_reward += reward
            state = next_state
            done = terminated or truncated
        agent.end_episode()
        history.append(total_reward)
        # The course's recipe: stop learning once the recent average is high enough, so a
        # good network is not unlearned (DQN on CartPole is unstable).
        if len(history) >= 20 and np.mean(history[-20:]) >= 450:
            agent.learning = False
    return history
