#!/bin/sh
# PID 1 in the container: serve with busybox nc and stop at once on SIGTERM, so `docker stop`
# (after kamal-proxy has drained the old version) doesn't wait out Docker's 10 s timeout.
trap 'kill "$server" 2>/dev/null; exit 0' TERM INT
nc -ll -p 80 -e /app/handle.sh &
server=$!
wait "$server"
