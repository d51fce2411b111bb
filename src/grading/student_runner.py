"""Runs one student's module for `gymhost grade`, in a process of its own.

The harness (src/grading/) starts this script with resource limits, a working directory and
the student's own token ($GYMHOST_TOKEN, $GYMHOST_ADDRESS), then sends it commands, one JSON
object per line on stdin, and reads one JSON answer per line on the file descriptor given by
--answers (the student's prints go to stdout and stderr, which the harness keeps as output).

Commands ({"cmd": ...}):
  load        imports the submission file and checks it defines `Agent` and `train`
  new_agent   builds Agent(**args)
  update      sets agent.Q[s][a] from "q", calls update_Q(state, next_state, action, reward, done)
              and answers the new Q[state][action] (tabular)
  train       calls train(env, agent, episodes) on the env session "session" (made by the
              harness) and answers the list it returns
  act         the agent's action for "state": greedy (explore 0 for tabular agents,
              choose_action(state, greedy=True) for DQN agents)
  exit

Nothing here is trusted by the harness: it only chooses actions and runs the student's
functions; the harness measures learning with its own sessions and the server's logs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import traceback
from typing import Any


def _number(x: Any) -> float:
    v = float(x)
    if math.isnan(v):
        raise ValueError("NaN")
    return v


class Runner:
    def __init__(self, path: str, interface: str) -> None:
        self.path = path
        self.interface = interface
        self.module: Any = None
        self.agent: Any = None
        self.client: Any = None

    def load(self, _msg: dict) -> dict:
        name = os.path.splitext(os.path.basename(self.path))[0]
        spec = importlib.util.spec_from_file_location(f"submission_{name}", self.path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {self.path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        missing = [n for n in ("Agent", "train") if not hasattr(module, n)]
        if missing:
            raise AttributeError(f"{os.path.basename(self.path)} does not define {' and '.join(missing)}")
        self.module = module
        return {}

    def new_agent(self, msg: dict) -> dict:
        self.agent = self.module.Agent(**msg["args"])
        return {}

    def update(self, msg: dict) -> dict:
        q = msg["q"]
        for s, row in enumerate(q):
            for a, v in enumerate(row):
                self.agent.Q[s][a] = v
        state, next_state, action, reward, done = msg["t"]
        self.agent.update_Q(state, next_state, action, reward, done)
        return {"q": _number(self.agent.Q[state][action])}

    def train(self, msg: dict) -> dict:
        import gymhost

        if self.client is None:
            self.client = gymhost.connect()
        env = gymhost.make("", client=self.client, session_id=msg["session"], stream=True)
        try:
            history = self.module.train(env, self.agent, msg["episodes"])
        finally:
            env.close()
        return {"history": [_number(x) for x in list(history)]}

    def act(self, msg: dict) -> dict:
        state = msg["state"]
        if self.interface == "dqn":
            import numpy as np

            action = self.agent.choose_action(np.asarray(state, dtype=np.float32), greedy=True)
        else:
            if hasattr(self.agent, "explore"):
                self.agent.explore = 0.0
            action = self.agent.choose_action(state)
        return {"action": int(action)}


def _student_traceback(err: BaseException) -> str:
    """The traceback of the student's code: frames of this runner and of importlib left out."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename != __file__ and not f.filename.startswith("<frozen")]
    lines = traceback.format_list(frames[-8:])
    return "Traceback (most recent call last):\n" + "".join(lines) + "".join(traceback.format_exception_only(type(err), err))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--interface", required=True, choices=["tabular", "dqn"])
    parser.add_argument("--answers", type=int, required=True, help="file descriptor for answers")
    args = parser.parse_args()
    answers = os.fdopen(args.answers, "w", buffering=1)
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.file)))
    runner = Runner(args.file, args.interface)
    handlers = {"load": runner.load, "new_agent": runner.new_agent, "update": runner.update, "train": runner.train, "act": runner.act}
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("cmd") == "exit":
            break
        try:
            out = {"ok": True, **handlers[msg["cmd"]](msg)}
        except BaseException as err:  # the student's error, reported to the harness
            if isinstance(err, KeyboardInterrupt):
                raise
            out = {"ok": False, "error": f"{type(err).__name__}: {err}", "traceback": _student_traceback(err)}
        answers.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
