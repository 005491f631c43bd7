"""The WeCom API client: wechatpy's enterprise client with every URL under `[wecom] api_base_url`.

wechatpy builds API URLs from `API_BASE_URL` but fetches the access token from a hard-coded
`https://qyapi.weixin.qq.com/cgi-bin/gettoken`, so both are replaced here. The token is kept in
wechatpy's session storage (in memory, per process) until it is about to expire; an API answer
saying it is invalid or expired (40001 / 40014 / 42001) makes `call` fetch a new one and retry once.
WeCom hands out the same token to every caller while it is valid, so several processes with their
own memory caches do not invalidate each other.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, expired token
TIMEOUT_SECONDS = 10.0


class WecomClient(WeChatClient):
    """Thread-safe enough for the delivery workers: one token fetch at a time, requests' pooled session."""

    def __init__(self, corp_id: str, secret: str, api_base_url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = api_base_url.rstrip("/")
        self.API_BASE_URL = f"{self.base_url}/cgi-bin/"
        self._token_lock = threading.Lock()
        # auto_retry=False: wechatpy would refetch and retry without limit; `call` retries once.
        super().__init__(corp_id, secret, timeout=timeout, auto_retry=False)

    def fetch_access_token(self) -> dict[str, Any]:
        """GET {api_base_url}/cgi-bin/gettoken and cache the token until shortly before it expires."""
        with self._token_lock:
            response = self._http.get(
                f"{self.API_BASE_URL}gettoken",
                params={"corpid": self.corp_id, "corpsecret": self.secret},
                timeout=self.timeout,
            )
            try:
                response.raise_for_status()
            except requests.RequestException as exc:
                raise WeChatClientException(None, None, client=self, request=exc.request,
                                            response=exc.response) from None
            result = response.json()
            if result.get("errcode", 0) != 0:
                raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self,
                                            request=response.request, response=response)
            expires_in = int(result.get("expires_in", 7200))
            self.session.set(self.access_token_key, result["access_token"], expires_in)
            self.expires_at = int(time.time()) + expires_in
            log.info("fetched a WeCom access token (valid %s s)", expires_in)
            return result

    def call(self, request: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run one API request; on a token error fetch a new token and run it once more."""
        try:
            return request()
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.info("WeCom token rejected (errcode %s); fetching a new one", exc.errcode)
        self.fetch_access_token()
        return request()

    def close(self) -> None:
        self._http.close()
