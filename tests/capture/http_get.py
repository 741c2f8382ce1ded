"""Fetches a URL (the capture daemon's /metrics, /healthz or status page,
from inside its network namespace) and prints {"status": N, "body": TEXT}
as JSON; an HTTP error status is a result, not a failure.
Usage: http_get.py URL"""

import json
import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
        status, body = response.status, response.read().decode()
except urllib.error.HTTPError as e:
    status, body = e.code, e.read().decode()
print(json.dumps({"status": status, "body": body}))
