"""The POSIX view follows an answered op within the apply lag on an idle gateway.

An async PUT or DELETE is answered before the applier carries it out; the worker
that does is woken once the answer is out (base/after_answer.h). Nothing else
happens afterwards here, so if that wake were lost the op would stay pending,
its file missing from (or left in) the bucket's directory, until some later op
woke a worker.
"""

import os
import time

from fsgate_server import FsgateServer

# DESIGN.md: milliseconds when idle. Generous for a loaded test machine.
LAG_LIMIT_S = 2.0


def wait_for(predicate, limit):
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_idle_gateway_applies_an_answered_put_and_delete_at_once():
    with FsgateServer() as srv:
        s3 = srv.client()
        s3.create_bucket(Bucket="lag")
        # The bucket's and the directory's first create, applied before the
        # rounds: each round times one create and one unlink alone.
        s3.put_object(Bucket="lag", Key="d/first", Body=b"x")
        srv.wait_drained()
        path = os.path.join(srv.root, "lag", "d", "k")
        for round_ in range(5):
            body = b"round %d" % round_
            s3.put_object(Bucket="lag", Key="d/k", Body=body)

            def holds_body():
                try:
                    with open(path, "rb") as f:
                        return f.read() == body
                except FileNotFoundError:
                    return False

            assert wait_for(holds_body, LAG_LIMIT_S), f"PUT {round_} not applied"
            assert wait_for(lambda: srv.async_pending() == 0, LAG_LIMIT_S)
            s3.delete_object(Bucket="lag", Key="d/k")
            assert wait_for(lambda: not os.path.exists(path), LAG_LIMIT_S), (
                f"DELETE {round_} not applied")
            assert wait_for(lambda: srv.async_pending() == 0, LAG_LIMIT_S)
