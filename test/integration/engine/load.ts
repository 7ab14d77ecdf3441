// A bounded HTTP load loop against servers' kamal-proxy (port 80): a request to each target every
// `1000 / rps` ms, each with a timeout, stopping on request or after `maxSeconds`.
import http from 'node:http';

export interface LoadResult {
  total: number;
  ok: number;
  failures: string[];
  bodies: Map<string, number>;
}

export function startLoad(targets: string[], options: { rps: number; maxSeconds: number; path?: string; hostHeader?: string }): { stop(): Promise<LoadResult> } {
  const result: LoadResult = { total: 0, ok: 0, failures: [], bodies: new Map() };
  const inFlight = new Set<Promise<void>>();
  const request = (host: string) => {
    result.total++;
    const done = new Promise<void>((resolve) => {
      const headers = options.hostHeader ? { Host: options.hostHeader } : undefined;
      const req = http.get({ host, port: 80, path: options.path ?? '/', headers, timeout: 5000, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          if (res.statusCode === 200) {
            result.ok++;
            const key = `${host} ${body.trim()}`;
            result.bodies.set(key, (result.bodies.get(key) ?? 0) + 1);
          } else result.failures.push(`${host}: HTTP ${res.statusCode} ${body.trim().slice(0, 80)}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        result.failures.push(`${host}: ${e.message}`);
        resolve();
      });
    });
    inFlight.add(done);
    done.then(() => inFlight.delete(done));
  };
  const timer = setInterval(() => targets.forEach(request), Math.round(1000 / options.rps));
  const limit = setTimeout(() => clearInterval(timer), options.maxSeconds * 1000);
  return {
    async stop() {
      clearInterval(timer);
      clearTimeout(limit);
      await Promise.all(inFlight);
      return result;
    },
  };
}
