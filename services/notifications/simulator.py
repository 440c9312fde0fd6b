"""A local SMS gateway in Kavenegar's request shape, for `make run` and tests:

    python -m services.notifications.simulator --port 8190 [--api-key KEY]

It serves ``/v1/{key}/sms/send.json`` (form: receptor, message, sender, localid) and
``/v1/{key}/sms/statuslocalmessageid.json?localid=…`` as the real gateway does: a send
whose localid it has taken before is answered with that first message, not sent again,
and a localid it never took is answered with an entry of status 100. Nothing reaches a
phone. For operators and tests it also serves:

    GET    /_sent                       every send request it received, oldest first
                                        (``repeat`` marks a localid it had taken already)
    POST   /_script/send/{receptor}     JSON list of replies for the next sends to receptor
    POST   /_script/status              JSON list of replies for the next status queries
    DELETE /_script                     forget every scripted reply

A reply is ``{"status": 200, "http_only": false, "entry_status": 1, "pause": 0}``: the
gateway's status (200 takes the message), a bare HTTP error page as a proxy would send,
the per-message status of a taken message, and seconds to wait before answering. A taken
message is kept before the pause, so a pause longer than the client waits is a gateway
that accepted the message and whose answer never arrived."""

from __future__ import annotations

import argparse
import json
import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

LOCAL_API_KEY = "local-simulator-key"
QUEUED, NOT_FOUND = 1, 100
# what the gateway says of a message's status (its ``statustext``)
STATUS_TEXTS = {
    1: "در صف ارسال", 2: "زمان بندی شده", 4: "ارسال شده به مخابرات", 5: "ارسال شده به مخابرات",
    6: "خطا در ارسال پیام", 10: "رسیده به گیرنده", 11: "نرسیده به گیرنده", 13: "لغو شده",
    14: "بلاک شده", NOT_FOUND: "شناسه پیامک نامعتبر است",
}


@dataclass
class Reply:
    """One scripted answer (see the module's doc)."""

    status: int = 200
    http_only: bool = False
    entry_status: int = QUEUED
    pause: float = 0.0


@dataclass
class GatewayRequest:
    """One send request as the gateway received it."""

    path: str
    form: dict[str, str]
    at: float
    message_id: int | None = None
    repeat: bool = False


@dataclass
class Message:
    """A message the gateway took."""

    message_id: int
    local_id: str | None
    receptor: str
    sender: str | None
    text: str
    status: int
    date: int = field(default_factory=lambda: int(time.time()))

    def entry(self) -> dict[str, Any]:
        return {"messageid": self.message_id, "localid": self.local_id, "message": self.text,
                "status": self.status, "statustext": STATUS_TEXTS.get(self.status, ""),
                "sender": self.sender, "receptor": self.receptor, "date": self.date,
                "cost": 120}


class GatewaySimulator:
    """The gateway on 127.0.0.1 (``port`` 0: any free one), in a thread of its own."""

    def __init__(self, api_key: str = LOCAL_API_KEY, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.api_key = api_key
        self.requests: list[GatewayRequest] = []
        self._messages: dict[str, Message] = {}  # by localid
        self._send_script: dict[str, deque[Reply]] = defaultdict(deque)
        self._status_script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._next_id = 8792343
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        self.base_url = f"http://{host}:{self.server.server_address[1]}"

    # -- what tests and operators use ---------------------------------------------------

    def script(self, receptor: str, *replies: Reply) -> None:
        with self._lock:
            self._send_script[receptor].extend(replies)

    def script_status(self, *replies: Reply) -> None:
        with self._lock:
            self._status_script.extend(replies)

    def forget_scripts(self) -> None:
        with self._lock:
            self._send_script.clear()
            self._status_script.clear()

    def sent_to(self, receptor: str) -> list[GatewayRequest]:
        with self._lock:
            return [r for r in self.requests if r.form.get("receptor") == receptor]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the gateway's API --------------------------------------------------------------

    def send(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        request = GatewayRequest(path, form, time.monotonic())
        with self._lock:
            self.requests.append(request)
            queue = self._send_script.get(form.get("receptor", ""))
            reply = queue.popleft() if queue else Reply()
            refusal = self._refusal(path, "send", form, reply)
            taken: Message | None = None
            if refusal is None:
                local_id = form.get("localid") or None
                taken = self._messages.get(local_id) if local_id else None
                request.repeat = taken is not None
                if taken is None:
                    self._next_id += 1
                    taken = Message(self._next_id, local_id, form.get("receptor", ""),
                                    form.get("sender"), form.get("message", ""),
                                    reply.entry_status)
                    if local_id:
                        self._messages[local_id] = taken
                request.message_id = taken.message_id
        if taken is not None:
            log.info("%s message %s to %s (localid %s)", "repeated" if request.repeat
                     else "took", taken.message_id, taken.receptor, taken.local_id)
        if reply.pause:
            time.sleep(reply.pause)
        if refusal is not None:
            return refusal
        assert taken is not None
        return _ok([taken.entry()])

    def status(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        with self._lock:
            reply = self._status_script.popleft() if self._status_script else Reply()
            refusal = self._refusal(path, "statuslocalmessageid", form, reply)
            entries = []
            for local_id in filter(None, form.get("localid", "").split(",")):
                found = self._messages.get(local_id)
                entries.append(found.entry() if found else {
                    "messageid": 0, "localid": local_id, "status": NOT_FOUND,
                    "statustext": STATUS_TEXTS[NOT_FOUND]})
        if reply.pause:
            time.sleep(reply.pause)
        return refusal if refusal is not None else _ok(entries)

    def sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(r) for r in self.requests]

    def _refusal(self, path: str, method: str, form: dict[str, str],
                 reply: Reply) -> tuple[int, str] | None:
        if path != f"/v1/{self.api_key}/sms/{method}.json":
            reply = Reply(status=403)
        elif reply.status == 200 and not form.get("receptor" if method == "send" else "localid"):
            reply = Reply(status=400)
        if reply.http_only:
            return reply.status, f"<html><body>{reply.status} from the proxy</body></html>"
        if reply.status != 200:
            return reply.status, json.dumps(
                {"return": {"status": reply.status, "message": f"error {reply.status}"},
                 "entries": None})
        return None


def _ok(entries: list[dict[str, Any]]) -> tuple[int, str]:
    return 200, json.dumps({"return": {"status": 200, "message": "تایید شد"},
                            "entries": entries}, ensure_ascii=False)


def _handler(gateway: GatewaySimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/_sent":
                self._answer(200, json.dumps(gateway.sent(), ensure_ascii=False))
            else:
                self._api(url.path, _form(url.query))

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            if url.path.startswith("/_script/"):
                self._script(url.path.removeprefix("/_script/"), raw)
            else:
                self._api(url.path, {**_form(url.query), **_form(raw)})

        def do_DELETE(self) -> None:
            if urlsplit(self.path).path != "/_script":
                self._answer(404, json.dumps({"error": "not found"}))
                return
            gateway.forget_scripts()
            self._answer(204, "")

        def _api(self, path: str, form: dict[str, str]) -> None:
            if path.endswith("/sms/statuslocalmessageid.json"):
                self._answer(*gateway.status(path, form))
            else:
                self._answer(*gateway.send(path, form))

        def _script(self, what: str, raw: str) -> None:
            try:
                replies = [Reply(**r) for r in json.loads(raw)]
            except (ValueError, TypeError) as exc:
                self._answer(422, json.dumps({"error": f"a JSON list of replies: {exc}"}))
                return
            if what == "status":
                gateway.script_status(*replies)
            elif what.startswith("send/") and what != "send/":
                gateway.script(what.removeprefix("send/"), *replies)
            else:
                self._answer(404, json.dumps({"error": "POST /_script/send/{receptor} or "
                                                       "/_script/status"}))
                return
            self._answer(204, "")

        def _answer(self, status: int, body: str) -> None:
            data = body.encode()
            try:
                self.send_response(status)
                if data:
                    self.send_header("content-type", "application/json; charset=utf-8"
                                     if body[:1] in "{[" else "text/html")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (or died)

        def log_message(self, *args: Any) -> None:
            pass  # the API key is in every path: what was taken is logged by send()

    return Handler


def _form(raw: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="A local SMS gateway in Kavenegar's shape.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--api-key", default=LOCAL_API_KEY,
                        help="the key the gateway's paths must carry")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    gateway = GatewaySimulator(args.api_key, host=args.host, port=args.port)
    log.info("SMS gateway simulator on %s (GET /_sent lists what it received)",
             gateway.base_url)
    try:
        gateway.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.close()


if __name__ == "__main__":
    main()
