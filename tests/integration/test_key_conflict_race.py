"""A key and a key beneath it PUT at the same moment, through the real gateway.

Pairs of threads PUT `pN/kI` (a file) and, at once, `pN/kI/f` (a file under the
directory `pN/kI`) or `pN/kI/` (that directory as a directory object). The two
rule each other out on a filesystem: exactly one may be answered 200, the other
must get the error a conflicting key gets (InvalidRequest), and once nothing is
pending every answered key must read back with its bytes and no apply may have
failed. With async dirops both were once answered and the applier then dropped
one (ENOTDIR / EISDIR). The same answers are required with --dirops sync.
"""

import threading

from botocore.exceptions import ClientError

PAIRS = 4
KEYS_PER_PAIR = 60
BENEATH = ("/f", "/")  # the second key of a pair: a file below, the directory object


def body_of(key):
    """A file holds its own name; a directory object is empty."""
    return b"" if key.endswith("/") else key.encode()


def put(s3, bucket, key):
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body_of(key))
        return "ok"
    except ClientError as e:
        return e.response["Error"].get("Code")


def race(s3, bucket, prefix):
    """{(file_key, beneath_key): (file_answer, beneath_answer)} over every pair."""
    answers = {}
    lock = threading.Lock()

    def pair(p):
        barrier = threading.Barrier(2)
        results = [[], []]

        def side(s):
            for i in range(KEYS_PER_PAIR):
                key = f"{prefix}/p{p}/k{i}"
                if s == 1:
                    key += BENEATH[i % len(BENEATH)]
                barrier.wait()
                results[s].append((key, put(s3, bucket, key)))

        threads = [threading.Thread(target=side, args=(s,)) for s in (0, 1)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        with lock:
            for (a, ra), (b, rb) in zip(*results):
                answers[(a, b)] = (ra, rb)

    # The parent of every file key is known (made synchronously) before the race.
    for p in range(PAIRS):
        s3.put_object(Bucket=bucket, Key=f"{prefix}/p{p}/seed", Body=b"seed")
    threads = [threading.Thread(target=pair, args=(p,)) for p in range(PAIRS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return answers


def test_a_key_and_a_key_beneath_it_are_never_both_answered(any_bucket):
    server, s3, bucket = any_bucket
    errors_before = server.metric_sum("fsgate_async_errors_total")
    answers = race(s3, bucket, "race")
    assert len(answers) == PAIRS * KEYS_PER_PAIR
    both = [pair for pair, (a, b) in answers.items() if a == "ok" and b == "ok"]
    assert both == [], f"{len(both)} pairs both answered 200: {both[:5]}"
    wrong = [(pair, r) for pair, r in answers.items() if sorted(r) != ["InvalidRequest", "ok"]]
    assert wrong == [], f"{len(wrong)} pairs not one 200 and one InvalidRequest: {wrong[:5]}"

    server.wait_drained()
    lost = []
    for pair, results in answers.items():
        for key, result in zip(pair, results):
            if result != "ok":
                continue
            try:
                if s3.get_object(Bucket=bucket, Key=key)["Body"].read() != body_of(key):
                    lost.append((key, "bytes"))
            except ClientError as e:
                lost.append((key, e.response["Error"].get("Code")))
    assert lost == [], f"{len(lost)} answered keys lost: {lost[:5]}"
    assert server.metric_sum("fsgate_async_errors_total") == errors_before
