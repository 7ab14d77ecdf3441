// The live view redraws a block sized to the terminal. A terminal that reports no size (a pty made
// without one: some CI runners, `script` or `docker exec -t` started from a script) would show
// an empty block, so it gets the plain lines instead.
export function canShowLiveView(stream: { isTTY?: boolean; columns?: number; rows?: number }): boolean {
  return Boolean(stream.isTTY) && (stream.columns ?? 0) > 0 && (stream.rows ?? 0) > 0;
}
