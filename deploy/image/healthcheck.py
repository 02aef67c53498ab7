"""The ECCS image's health check: healthy when the service this container runs answers.

With a URL argument, that URL must answer 2xx (the compose file names each service's `/ready`).
Without one, as the image's own HEALTHCHECK, it looks for `/health` on every service's default
port, since the command, not the image, picks the service: auth 8001, email 8002, notification
8003, the mail catcher 8025. Only the standard library: it runs on the image's Python.
"""

import sys
import urllib.error
import urllib.request

DEFAULT_URLS = [f"http://127.0.0.1:{port}/health" for port in (8001, 8002, 8003, 8025)]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (a local URL)
            return 200 <= response.status < 300
    except (OSError, urllib.error.URLError):
        return False


if __name__ == "__main__":
    sys.exit(0 if any(answers(url) for url in sys.argv[1:] or DEFAULT_URLS) else 1)
