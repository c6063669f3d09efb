"""Kept-alive POSTs to the case system over urllib3, the proxy, CA bundle and .netrc read once.

Delivery sends one event a request (the contract), so the HTTP client's own CPU counts per event: requests'
session machinery (settings merged, hooks, cookies, a prepared request) more than doubled what urllib3 underneath
costs (0.46 against 0.20 ms a POST on the 2-core box, bench/README.md). What requests would have read from the
environment for the case system's URL (proxy variables and NO_PROXY, REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE, .netrc)
is read here once, with requests' own helpers, so the deployment's settings mean what they meant before.
"""
from __future__ import annotations

import os

import requests
import urllib3
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_netrc_auth, select_proxy
from urllib3.exceptions import HTTPError

# Failures of the request itself (refused, reset, timed out, a proxy's error): the event is retried.
SEND_ERRORS = (HTTPError, OSError)


class CaseSystemClient:
    """POST bodies to one URL over a pool of `connections` kept-alive connections."""

    def __init__(self, url: str | None, connections: int):
        self.url = url
        self.auth_headers: dict[str, str] = {}
        options: dict = {"maxsize": connections, "retries": False}
        proxy = None
        if url:
            env = requests.Session().merge_environment_settings(url, {}, None, None, None)
            proxy = select_proxy(url, env["proxies"])
            verify = env["verify"]
            if verify is False:
                options["cert_reqs"] = "CERT_NONE"
            else:
                bundle = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
                options["cert_reqs"] = "CERT_REQUIRED"
                options["ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"] = bundle
            auth = get_netrc_auth(url)
            if auth:
                basic = urllib3.util.make_headers(basic_auth=f"{auth[0]}:{auth[1]}")["authorization"]
                self.auth_headers = {"Authorization": basic}
        self.manager = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)

    def post(self, body: bytes, headers: dict[str, str], connect_timeout: float,
             read_timeout: float) -> tuple[int, str]:
        """(status, the start of the answer's text); raises one of SEND_ERRORS when no answer came."""
        response = self.manager.urlopen("POST", self.url, body=body, headers={**self.auth_headers, **headers},
                                        redirect=False, retries=False,
                                        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout))
        return response.status, response.data[:600].decode("utf-8", errors="replace")

    def close(self) -> None:
        self.manager.clear()
