"""Helpers every stage uses, with no stage logic of their own.

    intervals      unions, intersections and differences of (start, end) times in seconds
    files          atomic, owner-only writes; SHA-256 of files
    locks          one run per recording and output folder (lock files)
    offline        no network: the hub offline, telemetry off; `hub_opened` for one allowed call
    crash_log      an unexpected error's traceback, to a log file, never to the terminal
    progress_log   text-free progress lines for a flow's log (every 10%, at least once a minute)

Each module is its own interface; this package exports nothing of its own.
"""
