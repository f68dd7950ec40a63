"""The day of a LearningHub user as Locust tasks: browse courses, open one, submit an exam, read it back.

Each virtual user takes one identity from the process's TokenStore (so its exams are its own),
sends that identity's current token (refreshed centrally) and checks status and shape of every
answer, marking failures with a short reason. Request names are templated (`/courses/[id]`) so
per-endpoint statistics and SLO rules do not explode into one row per id. Tasks carry tags
`read`/`write` (`--exclude-tags write` keeps a run read-only on a shared environment) and one
tag each (`browse`, `course`, `exam`) to run a single scenario.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from typing import Any

import gevent
from locust import between, tag, task
from locust.contrib.fasthttp import FastHttpUser, ResponseContextManager

from .pool import TokenStore

STORE = TokenStore()  # filled by the lifecycle (local process) or by the master's messages (worker)
PROBE = {"value": "load"}  # x-e2e-probe value: marks load traffic in the backend's logs
_slots = itertools.count()
SEED_COURSE_IDS = list(range(1, 21))
TOKEN_WAIT_S = 30.0
# The list is parsed and every item checked on each user's first browse and every 10th after; the
# others get a structural check of the list's head: parsing 20 courses costs about 20 us, a quarter
# of the CPU FastHttpUser spends on a whole request, which would cap the generator's throughput.
FULL_CHECK_EVERY = 10
LIST_HEAD = re.compile(rb'\A\s*\{\s*"courses"\s*:\s*\[\s*(\{[^{}]*\})')
COURSE_KEYS = (b'"id"', b'"code"', b'"title"', b'"price"')


def _json(resp: ResponseContextManager) -> Any:
    try:
        return json.loads(resp.content or b"")
    except ValueError:
        return None


class LearningHubUser(FastHttpUser):
    """A signed-in learner. Weights: browse 6, open a course 3, submit and read back an exam 1."""

    wait_time = between(0.5, 2.0)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        waited = 0.0
        while not len(STORE) and waited < TOKEN_WAIT_S:  # workers may spawn before the first hand-out lands
            gevent.sleep(0.1)
            waited += 0.1
        if not len(STORE):
            raise RuntimeError("no tokens reached this process within 30 s; is the master's token pool up?")
        self.slot = next(_slots)
        self.sub = STORE.pick(self.slot).sub
        self.course_ids = list(SEED_COURSE_IDS)
        self._browses = 0
        self._version = -1
        self._headers: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        """The identity's current token; re-read only when the store changed (refresh, rebalancing)."""
        if self._version != STORE.version:
            token = STORE.token_for(self.sub)
            if token is None:  # the master moved this identity to another worker
                self.sub = STORE.pick(self.slot).sub
                token = STORE.token_for(self.sub) or ""
            self._headers = {"Authorization": f"Bearer {token}", "x-e2e-probe": PROBE["value"]}
            self._version = STORE.version
        return self._headers

    @tag("read", "browse")
    @task(6)
    def browse_courses(self) -> None:
        with self.client.get("/courses", headers=self.headers(), name="/courses", catch_response=True) as resp:
            if resp.status_code != 200:
                _expect(resp, 200)
                return
            self._browses += 1
            if self._browses % FULL_CHECK_EVERY != 1:
                head = LIST_HEAD.match(resp.content or b"")
                if head is None or not all(key in head[1] for key in COURSE_KEYS):
                    resp.failure("course list does not start with a course with id/code/title/price")
                return
            body = _expect(resp, 200)
            if body is None:
                return
            courses = body.get("courses") if isinstance(body, dict) else None
            if not isinstance(courses, list) or not courses:
                resp.failure("body has no non-empty 'courses' list")
                return
            if not all(isinstance(c, dict) and {"id", "code", "title", "price"} <= c.keys() for c in courses):
                resp.failure("a course item lacks id/code/title/price")
                return
            self.course_ids = [c["id"] for c in courses if isinstance(c.get("id"), int)] or self.course_ids

    @tag("read", "course")
    @task(3)
    def view_course(self) -> None:
        course_id = random.choice(self.course_ids)
        with self.client.get(
            f"/courses/{course_id}", headers=self.headers(), name="/courses/[id]", catch_response=True
        ) as resp:
            body = _expect(resp, 200)
            if body is None:
                return
            if not isinstance(body, dict) or body.get("id") != course_id or "description" not in body:
                resp.failure("course body is not the requested course with a description")

    @tag("write", "exam")
    @task(1)
    def submit_and_read_exam(self) -> None:
        course_id = random.choice(self.course_ids)
        answers = [random.choice("ABCD") for _ in range(random.randint(3, 10))]
        payload = {"courseId": course_id, "answers": answers}
        with self.client.post(
            "/exams", json=payload, headers=self.headers(), name="/exams", catch_response=True
        ) as resp:
            body = _expect(resp, 201)
            if body is None:
                return
            exam_id = body.get("id") if isinstance(body, dict) else None
            if not isinstance(exam_id, int):
                resp.failure("created exam has no integer 'id'")
                return
        with self.client.get(
            f"/exams/{exam_id}", headers=self.headers(), name="/exams/[id]", catch_response=True
        ) as resp:
            body = _expect(resp, 200)
            if body is None:
                return
            if not isinstance(body, dict) or body.get("id") != exam_id or body.get("courseId") != course_id:
                resp.failure("exam read back differs from the one submitted")
            elif body.get("answers") != answers:
                resp.failure("exam answers read back differ from those submitted")


def _expect(resp: ResponseContextManager, status: int) -> Any:
    """The JSON body when the status is right; otherwise marks the failure and returns None."""
    if resp.status_code != status:
        # Locust copies `error` from the failed response at run time; its types declare it on ErrorResponse only.
        error: object = getattr(resp, "error", None)
        reason = f"no response ({type(error).__name__})" if not resp.status_code else f"status {resp.status_code}"
        resp.failure(f"{reason}, expected {status}")
        return None
    body = _json(resp)
    if body is None:
        resp.failure("body is not JSON")
    return body
