"""What every Prefect process the README starts needs, from one place: `transcribe prefect
ARGS` runs Prefect's own command (`server start`, `work-pool create`, `deploy`, `worker
start`, ...) with

* the API of this machine's server (`PREFECT_API_URL`), so that `work-pool create` and
  `deploy` talk to the running server instead of starting a temporary one, and a worker
  starts at all (Prefect refuses one without it); a lab whose server runs elsewhere sets
  `PREFECT_API_URL` itself, and it is kept;
* the server bound to this machine only (`PREFECT_SERVER_API_HOST` 127.0.0.1, port
  `PREFECT_SERVER_API_PORT`, 4200), unless the lab sets them;
* telemetry off (offline.py's switches: `prefect server start` never imports this
  package, so they reach the server only this way);
* for the server, no way out: it fetches Prefect's collection registry from GitHub when
  asked for worker types (`work-pool create` asks), with no setting to stop it, and falls
  back to the copy it ships. Its web requests go to a proxy on this machine that is not
  there (DEAD_PROXY), so it uses that copy at once; requests to this machine go direct.
"""

from __future__ import annotations

from collections.abc import Mapping

from .utils.offline import TELEMETRY_OFF

LOCAL_HOST = "127.0.0.1"
DEFAULT_PORT = "4200"
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, a connection is refused at once
LOCAL_NAMES = "127.0.0.1,localhost,::1"


def prefect_environment(environ: Mapping[str, str], args: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """`environ` with the API address, the server's binding and telemetry off set where the
    lab has not set them (telemetry always off); for `server start` (in `args`), web
    requests beyond this machine sent to DEAD_PROXY unless the lab set a proxy."""
    env = {**environ, **TELEMETRY_OFF}
    host = env.setdefault("PREFECT_SERVER_API_HOST", LOCAL_HOST)
    port = env.setdefault("PREFECT_SERVER_API_PORT", DEFAULT_PORT)
    reach = LOCAL_HOST if host in ("0.0.0.0", "::", "") else host  # a server on every interface is reached locally
    env.setdefault("PREFECT_API_URL", f"http://{reach}:{port}/api")
    if list(args[:2]) == ["server", "start"] and not any(k.lower() in ("https_proxy", "http_proxy") for k in env):
        env.update(HTTPS_PROXY=DEAD_PROXY, HTTP_PROXY=DEAD_PROXY, NO_PROXY=",".join(filter(None, [env.get("NO_PROXY"), LOCAL_NAMES])))
    return env
