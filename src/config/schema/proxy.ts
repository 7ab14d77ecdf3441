import { z } from 'zod';
import { arrayOf, boolean, describe, hash, integer, stringish } from './common.ts';

export const DEFAULT_LOG_REQUEST_HEADERS = ['Cache-Control', 'Last-Modified', 'User-Agent'];

/** Checks Kamal runs on every proxy hash (root, role or accessory), each on its own. */
export function proxyRules(value: { host?: string | undefined; hosts?: string[] | undefined; ssl?: boolean | undefined }, ctx: z.RefinementCtx): void {
  const hasHost = (value.host !== undefined && value.host.trim() !== '') || (value.hosts !== undefined && value.hosts.length > 0);
  if (!hasHost && value.ssl) ctx.addIssue({ code: 'custom', message: 'Must set a host to enable automatic SSL' });
  if (value.host !== undefined && value.hosts !== undefined) {
    ctx.addIssue({ code: 'custom', message: "Specify one of 'host' or 'hosts', not both" });
  }
}

/** The settings kamal-proxy gets when Kamal deploys a role or an accessory behind it. */
export const proxySchema = () =>
  hash({
    host: describe(stringish(), {
      description: 'Host name the proxy routes to this app; several may be given separated by commas. Without a host, all requests not claimed by another app are routed here.',
      rules: ["Specify one of 'host' or 'hosts', not both"],
    }).optional(),
    hosts: describe(arrayOf(stringish()), { description: 'Host names the proxy routes to this app.' }).optional(),
    app_port: describe(integer(), { description: 'Port the app listens on inside its container.', default: 80 }).optional(),
    ssl: describe(boolean(), {
      description: "Let kamal-proxy obtain a Let's Encrypt certificate and serve HTTPS.",
      default: false,
      rules: ['needs a host', 'a role with ssl may have only one server', "roles with ssl can't share a host name"],
    }).optional(),
    ssl_redirect: describe(boolean(), { description: 'Redirect HTTP to HTTPS when ssl is on (kamal-proxy default: true).' }).optional(),
    forward_headers: describe(boolean(), {
      description: 'Forward X-Forwarded-For / X-Forwarded-Proto to the app (kamal-proxy default: only without ssl).',
    }).optional(),
    response_timeout: describe(integer(), { description: 'Seconds a request may take before timing out (kamal-proxy default: 30).' }).optional(),
    healthcheck: describe(
      hash({
        interval: describe(integer(), { description: 'Seconds between health checks while deploying (kamal-proxy default: 1).' }).optional(),
        path: describe(stringish(), { description: 'Path checked for a 200 response (kamal-proxy default: /up).' }).optional(),
        timeout: describe(integer(), { description: 'Seconds each health check may take (kamal-proxy default: 5).' }).optional(),
      }),
      { description: 'How kamal-proxy checks the new container before sending it traffic.' },
    ).optional(),
    buffering: describe(
      hash({
        requests: describe(boolean(), { description: 'Buffer request bodies.', default: true }).optional(),
        responses: describe(boolean(), { description: 'Buffer response bodies.', default: true }).optional(),
        max_request_body: describe(integer(), { description: 'Largest request body in bytes (0: no limit).' }).optional(),
        max_response_body: describe(integer(), { description: 'Largest response body in bytes (0: no limit).' }).optional(),
        memory: describe(integer(), { description: 'Bytes buffered in memory before spilling to disk (kamal-proxy default: 1 MiB).' }).optional(),
      }),
      { description: 'Request and response buffering in kamal-proxy.' },
    ).optional(),
    logging: describe(
      hash({
        request_headers: describe(arrayOf(stringish()), {
          description: 'Request headers kamal-proxy writes to its log.',
          default: DEFAULT_LOG_REQUEST_HEADERS,
        }).optional(),
        response_headers: describe(arrayOf(stringish()), { description: 'Response headers kamal-proxy writes to its log.' }).optional(),
      }),
      { description: 'Which headers kamal-proxy logs for each request.' },
    ).optional(),
  }).superRefine(proxyRules);

export type ProxySection = z.output<ReturnType<typeof proxySchema>>;
