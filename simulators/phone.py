r"""A phone with the Home Assistant app, as far as notifications go, on 127.0.0.1.

It stands in for the app's push service: Home Assistant's mobile_app notify
(``notify.mobile_app_<device>`` and the ``mobile_app`` device action) POSTs each
notification to the ``push_url`` the app registered, with its ``push_token`` and
``registration_info`` (app id, version, webhook id); this server records it and
answers 201 with JSON, as the real push service does. Answering a notification's
action button is what the app does: it fires ``mobile_app_notification_action``
through its webhook (``POST {HA}/api/webhook/<webhook_id>``, command
``fire_event``), which the anomaly blueprint waits for.

* ``POST /push``: a notification (what mobile_app sends); 201 ``{"id": n}``.
* ``GET /notifications``: every notification so far, oldest first, each with its
  ``id``, ``received`` time, ``title``, ``message``, ``data`` and ``actions``.
* ``POST /answer`` ``{"action": "INTELERGY_OFF_..."}``: press that button; or
  ``{"button": "Turn off"}``: the button of that title on the newest notification
  that has one (``"notification": id`` picks another). Answers the event fired.

The webhook id comes from the first push (its ``registration_info``) or from the
registration file scripts/develop_bootstrap.py writes (``--registration``,
``{"webhook_id": ..., "ha_url": ...}``), read when needed.

    python -m simulators.phone --port 8341 --ha-url http://127.0.0.1:8123 \\
        --registration config/demo-phone.json      # for scripts/develop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from .web import LoopbackServer

NOTIFICATION_ACTION = "mobile_app_notification_action"


class PhoneSimulator(LoopbackServer):
    """The push service of one phone, and the phone's answers through its webhook."""

    def __init__(
        self,
        ha_url: str | None = None,
        *,
        webhook_id: str | None = None,
        push_token: str | None = None,
        registration: Path | None = None,
        log: Path | None = None,
    ) -> None:
        """A phone answering through ``ha_url``'s webhook ``webhook_id``.

        Either may come later: from ``registration`` (read when needed) or, the
        webhook id, from the first push. ``push_token``: refuse pushes with another
        token (401, as the push service does). ``log``: every notification is also
        written there (JSON).
        """
        self.ha_url = ha_url.rstrip("/") if ha_url else None
        self.webhook_id = webhook_id
        self.push_token = push_token
        self.registration = registration
        self.log = log
        self.notifications: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.url = ""

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/push", self._push)
        app.router.add_get("/notifications", self._list)
        app.router.add_post("/answer", self._answer)
        return app

    # -- the push service ------------------------------------------------------------

    async def _push(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"message": "Not JSON"}, status=400)
        if not isinstance(body, dict) or "message" not in body:
            return web.json_response({"message": "No message"}, status=400)
        if self.push_token is not None and body.get("push_token") != self.push_token:
            return web.json_response({"message": "Unknown push token"}, status=401)
        info = body.get("registration_info") or {}
        if isinstance(info, dict) and info.get("webhook_id"):
            self.webhook_id = str(info["webhook_id"])
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        notification = {
            "id": len(self.notifications) + 1,
            "received": datetime.now(UTC).isoformat(timespec="seconds"),
            "title": body.get("title"),
            "message": body["message"],
            "data": data,
            "actions": [
                {"action": a.get("action"), "title": a.get("title")}
                for a in data.get("actions") or []
                if isinstance(a, dict)
            ],
        }
        self.notifications.append(notification)
        print(
            f"phone: notification {notification['id']}: {notification['title']!r}: "
            f"{notification['message']!r}; actions "
            f"{[a['action'] for a in notification['actions']]}",
            flush=True,
        )
        await self._write_log()
        return web.json_response({"id": notification["id"]}, status=201)

    async def _list(self, request: web.Request) -> web.Response:
        return web.json_response(self.notifications)

    async def _write_log(self) -> None:
        if self.log is None:
            return
        text = json.dumps(self.notifications, indent=2)
        await asyncio.to_thread(self.log.write_text, text)

    # -- the phone's answers ---------------------------------------------------------

    async def _answer(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "expected an object"}, status=400)
        action = body.get("action")
        if not action and body.get("button"):
            action = self._button(str(body["button"]), body.get("notification"))
        if not action:
            return web.json_response(
                {"error": "no such action: give an action id or a button title"},
                status=400,
            )
        try:
            fired = await self.answer(str(action))
        except LookupError as err:
            return web.json_response({"error": str(err)}, status=409)
        except (ClientError, TimeoutError) as err:
            return web.json_response({"error": f"Home Assistant: {err}"}, status=502)
        return web.json_response(fired)

    def _button(self, title: str, notification: Any) -> str | None:
        """The action id of button ``title`` on the newest notification that has it."""
        for sent in reversed(self.notifications):
            if notification is not None and sent["id"] != notification:
                continue
            for action in sent["actions"]:
                if str(action.get("title", "")).lower() == title.lower():
                    return str(action["action"])
        return None

    def _registered(self) -> None:
        """Fill in what is missing from the registration file, if there is one."""
        if self.registration is None or (self.webhook_id and self.ha_url):
            return
        try:
            saved = json.loads(self.registration.read_text())
        except OSError, ValueError:
            return
        self.webhook_id = self.webhook_id or saved.get("webhook_id")
        if not self.ha_url and saved.get("ha_url"):
            self.ha_url = str(saved["ha_url"]).rstrip("/")

    async def answer(self, action: str) -> dict[str, Any]:
        """Press ``action``: fire mobile_app_notification_action through the webhook.

        Raises LookupError while the phone knows no webhook or Home Assistant.
        """
        self._registered()
        if not self.webhook_id or not self.ha_url:
            raise LookupError("the phone is not registered with Home Assistant yet")
        event_data = {"action": action}
        async with (
            ClientSession(timeout=ClientTimeout(total=10)) as session,
            session.post(
                f"{self.ha_url}/api/webhook/{self.webhook_id}",
                json={
                    "type": "fire_event",
                    "data": {
                        "event_type": NOTIFICATION_ACTION,
                        "event_data": event_data,
                    },
                },
            ) as response,
        ):
            response.raise_for_status()
        fired = {"event_type": NOTIFICATION_ACTION, "event_data": event_data}
        self.answers.append(fired)
        print(f"phone: answered {action!r}", flush=True)
        return fired


async def _serve(args: argparse.Namespace) -> None:
    phone = PhoneSimulator(
        args.ha_url,
        push_token=args.push_token,
        registration=args.registration,
        log=args.log,
    )
    url = await phone.start(args.host, args.port)
    print(f"Phone simulator on {url}: POST /push, GET /notifications, POST /answer")
    try:
        await asyncio.Event().wait()
    finally:
        await phone.stop()


def main() -> None:
    """Run the phone until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8341)
    parser.add_argument("--ha-url", help="Home Assistant, for the webhook")
    parser.add_argument("--push-token", help="refuse pushes without this token")
    parser.add_argument(
        "--registration", type=Path, help="the bootstrap's file: webhook_id, ha_url"
    )
    parser.add_argument("--log", type=Path, help="also write notifications here")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
