"""What the HTTP simulators share: serving an aiohttp application on loopback."""

from __future__ import annotations

from aiohttp import web


class LoopbackServer:
    """Serves ``self.app()`` on 127.0.0.1; ``url`` once started."""

    url: str = ""
    _runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """The aiohttp application (each simulator's own)."""
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: a free port); return the base URL."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = site._server.sockets if site._server else ()  # noqa: SLF001
        bound = sockets[0].getsockname()[1] if sockets else port
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
