"""Convergence lag between two nodes: submits a new player with a record score to node A
(each higher than the last) and reads node B's first entry until it is that player.
   python3 convergence_probe.py A-PORT B-PORT BOARD SECONDS
Prints the count and p50/p90/p99/max of answered-by-A -> seen-on-B in milliseconds. Fails
(exit 1) on any non-2xx answer or a probe not seen within 5 s."""
import http.client
import json
import os
import sys
import time

a_port, b_port, board, seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
key = os.environ["KEY"]
a = http.client.HTTPConnection("127.0.0.1", a_port)
b = http.client.HTTPConnection("127.0.0.1", b_port)
headers = {"leadr-api-key": key, "content-type": "application/json"}
# A superadmin's score list names the account: the board's.
b.request("GET", f"/v1/boards/{board}", headers=headers)
answer = b.getresponse()
if answer.status != 200:
    sys.exit(f"cannot read the board: {answer.status}")
account = json.loads(answer.read())["account_id"]
lags = []
end = time.monotonic() + seconds
i = 0
while time.monotonic() < end:
    i += 1
    player = f"probe{i}"
    body = json.dumps({"board_id": board, "player_key": player, "player_name": player, "value": 10_000_000 + i})
    a.request("POST", "/v1/score-events", body, headers)
    r = a.getresponse()
    r.read()
    if r.status // 100 != 2:
        sys.exit(f"node A answered {r.status}")
    answered = time.monotonic()
    while True:
        b.request("GET", f"/v1/scores?account_id={account}&board_id={board}&limit=1", headers={"leadr-api-key": key})
        r = b.getresponse()
        page = json.loads(r.read())
        if r.status // 100 != 2:
            sys.exit(f"node B answered {r.status}")
        if page["data"] and page["data"][0]["player_name"] == player:
            lags.append((time.monotonic() - answered) * 1000)
            break
        if time.monotonic() - answered > 5:
            sys.exit(f"{player} not seen on node B within 5 s")
        time.sleep(0.001)
    time.sleep(0.05)
lags.sort()
q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))]
print(f"convergence lag over {len(lags)} probes: p50 {q(0.5):.1f} ms, p90 {q(0.9):.1f} ms, p99 {q(0.99):.1f} ms, max {lags[-1]:.1f} ms")
