"""Helpers for the WeCom tests and benchmark: an independent WXBizMsgCrypt and callback message builders.

`IndependentCrypto` follows Tencent's published scheme using only `cryptography`, so wechatpy is
checked against a second implementation rather than against itself: AES-256-CBC with the key
`base64(EncodingAESKey + "=")` and IV = key[:16], PKCS#7 padding to 32 bytes, plaintext =
16 random bytes + 4-byte network-order length + message + receive id, and
msg_signature = SHA1 of the sorted [token, timestamp, nonce, encrypt] joined.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# Tencent's sample values (WXBizMsgCrypt Sample.py/.cs/.php, https://developer.work.weixin.qq.com/document/path/90968).
SAMPLE_TOKEN = "QDG6eK"
SAMPLE_CORP_ID = "wx5823bf96d3bd56c7"
SAMPLE_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SAMPLE_VERIFY = {
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589", "nonce": "263014780",
    "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
}
SAMPLE_ECHO_PLAIN = "1616140317555161061"
SAMPLE_POST = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813",
               "nonce": "1372623149"}
SAMPLE_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJT"
    "s3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hg"
    "f5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4E"
    "hzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2"
    "YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
SAMPLE_POST_BODY = (
    f"<xml><ToUserName><![CDATA[{SAMPLE_CORP_ID}]]></ToUserName><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt>"
    "<AgentID><![CDATA[218]]></AgentID></xml>"
)
SAMPLE_POST_PLAIN = (
    f"<xml><ToUserName><![CDATA[{SAMPLE_CORP_ID}]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
    "<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n"
    "<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>"
)


class IndependentCrypto:
    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        assert len(self.key) == 32
        self.receive_id = receive_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str, random16: bytes | None = None) -> str:
        body = message.encode()
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> tuple[str, str]:
        """(message, receive id)."""
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
        pad = plain[-1]
        assert 1 <= pad <= 32 and plain[-pad:] == bytes([pad]) * pad, "bad PKCS#7 padding"
        content = plain[16:-pad]
        (length,) = struct.unpack(">I", content[:4])
        return content[4:4 + length].decode(), content[4 + length:].decode()

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return hashlib.sha1("".join(sorted([self.token, timestamp, nonce, encrypted])).encode()).hexdigest()


@dataclass(frozen=True)
class SignedPost:
    query: str  # ?msg_signature=…&timestamp=…&nonce=…
    body: str

    @property
    def path(self) -> str:
        return f"/wecom/callback?{self.query}"


def seal(crypto: IndependentCrypto, plain_xml: str, *, timestamp: int | None = None, nonce: str | None = None,
         signature: str | None = None, agent_id: int = 1000002) -> SignedPost:
    """The POST WeCom would send for this plaintext message."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or os.urandom(6).hex()
    encrypted = crypto.encrypt(plain_xml)
    query = urlencode({"msg_signature": signature or crypto.sign(stamp, nonce, encrypted), "timestamp": stamp,
                       "nonce": nonce})
    body = (f"<xml><ToUserName><![CDATA[{crypto.receive_id}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]>"
            f"</Encrypt><AgentID><![CDATA[{agent_id}]]></AgentID></xml>")
    return SignedPost(query, body)


def message_xml(user: str, kind: str, msg_id: int | str, corp_id: str, agent_id: int = 1000002,
                created: int | None = None, **fields: str) -> str:
    """A decrypted WeCom message: text (Content=…), image (MediaId=…, PicUrl=…), voice, file, location…"""
    created = created or int(time.time())
    extra = "".join(f"<{key}><![CDATA[{value}]]></{key}>" for key, value in fields.items())
    msg = f"<MsgId>{msg_id}</MsgId>" if msg_id != "" else ""
    return (f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{extra}{msg}"
            f"<AgentID>{agent_id}</AgentID></xml>")


def event_xml(user: str, event: str, corp_id: str, agent_id: int = 1000002, created: int | None = None) -> str:
    return message_xml(user, "event", "", corp_id, agent_id, created, Event=event)
