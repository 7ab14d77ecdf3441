#!/bin/sh
# Answers one HTTP request on stdin/stdout (busybox nc runs this once per connection).
#   GET /up  200 "ok", or 500 while the fault switch /faults/unhealthy exists
#   GET /    the version: KAMAL_VERSION (set by the deployer) or the APP_VERSION build arg
cr=$(printf '\r')
read -r method path protocol
while read -r header; do
  case "$header" in "" | "$cr") break ;; esac
done
path=${path%%\?*}

case "$path" in
  /up)
    if [ -e /faults/unhealthy ]; then
      status="500 Internal Server Error"; body="unhealthy"
    else
      status="200 OK"; body="ok"
    fi ;;
  /)
    status="200 OK"; body="${KAMAL_VERSION:-$APP_VERSION}" ;;
  *)
    status="404 Not Found"; body="not found" ;;
esac

body="$body
"
[ "$method" = HEAD ] && send="" || send="$body"
printf 'HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "$status" "${#body}" "$send"
