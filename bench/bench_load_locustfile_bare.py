"""The baseline of bench_load.py: a bare FastHttpUser sending one fixed bearer header to GET /courses."""

import bench_load_cpu
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser

HEADERS = {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9." + "x" * 800 + ".sig"}  # JWT-sized, not a token


class BareUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def courses(self) -> None:
        self.client.get("/courses", headers=HEADERS)


bench_load_cpu.register(events)
