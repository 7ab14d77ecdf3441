import { z } from 'zod';
import { arrayOf, boolean, describe, freeHash, hash, integer, stringish } from './common.ts';

export const DEFAULT_LOG_REQUEST_HEADERS = ['Cache-Control', 'Last-Modified', 'User-Agent'];

/** `ssl:` as a hash (Kamal 2.7): the names of the secrets holding a custom certificate and its key. */
export type CustomCertificate = { certificate_pem?: string | undefined; private_key_pem?: string | undefined };

type ProxyRuleInput = {
  host?: string | undefined;
  hosts?: string[] | undefined;
  ssl?: boolean | CustomCertificate | undefined;
  run?: ProxyRunSection | undefined;
};

/** Checks Kamal runs on every proxy hash (root, role or accessory), each on its own. */
export function proxyRules(value: ProxyRuleInput, ctx: z.RefinementCtx): void {
  const hasHost = (value.host !== undefined && value.host.trim() !== '') || (value.hosts !== undefined && value.hosts.length > 0);
  if (!hasHost && value.ssl !== undefined && value.ssl !== false) ctx.addIssue({ code: 'custom', message: 'Must set a host to enable automatic SSL' });
  if (value.host !== undefined && value.hosts !== undefined) {
    ctx.addIssue({ code: 'custom', message: "Specify one of 'host' or 'hosts', not both" });
  }
  if (typeof value.ssl === 'object') {
    const { certificate_pem: certificate, private_key_pem: key } = value.ssl;
    if (present(certificate) && !present(key)) {
      ctx.addIssue({ code: 'custom', path: ['ssl'], message: 'Missing private_key_pem setting (required when certificate_pem is present)' });
    }
    if (present(key) && !present(certificate)) {
      ctx.addIssue({ code: 'custom', path: ['ssl'], message: 'Missing certificate_pem setting (required when private_key_pem is present)' });
    }
  }
  const run = value.run;
  if (run?.publish === false && (run.bind_ips !== undefined || run.http_port !== undefined || run.https_port !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['run'], message: 'Cannot set http_port, https_port or bind_ips when publish is false' });
  }
}

function present(text: string | undefined): boolean {
  return text !== undefined && text.trim() !== '';
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 or IPv6 address (IPv6 checked loosely: hex groups and colons, at most one `::`). */
export function isIpAddress(text: string): boolean {
  if (IPV4.test(text)) return true;
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(':')) return false;
  if ((text.match(/::/g) ?? []).length > 1) return false;
  return text.split(':').every((group) => group.length <= 4 || IPV4.test(group));
}

const bindIp = () =>
  z.string({ error: 'should be a string' }).refine(isIpAddress, { error: (issue) => `Invalid publish IP address: ${String(issue.input)}` });

/** `proxy/run:` (Kamal 2.10): how the kamal-proxy container itself is run, instead of `proxy boot_config`. */
export const proxyRunSchema = () =>
  hash({
    http_port: describe(integer(), { description: 'Host port published for HTTP.', default: 80 }).optional(),
    https_port: describe(integer(), { description: 'Host port published for HTTPS.', default: 443 }).optional(),
    metrics_port: describe(integer(), { description: 'Port kamal-proxy serves Prometheus metrics on (also exposed).' }).optional(),
    debug: describe(boolean(), { description: 'Run kamal-proxy with debug logging.', default: false }).optional(),
    log_max_size: describe(stringish(), { description: 'Largest size of the proxy log file.', default: '10m' }).optional(),
    publish: describe(boolean(), { description: 'Publish the HTTP/HTTPS ports on the host.', default: true }).optional(),
    bind_ips: describe(arrayOf(bindIp()), { description: 'Host addresses the published ports are bound to.', rules: ['IPv4 or IPv6 addresses'] }).optional(),
    registry: describe(stringish(), { description: 'Registry of the kamal-proxy image (Docker Hub when not set).' }).optional(),
    repository: describe(stringish(), { description: 'Repository of the kamal-proxy image.', default: 'basecamp/kamal-proxy' }).optional(),
    version: describe(stringish(), { description: 'Tag of the kamal-proxy image.', default: 'v0.9.0' }).optional(),
    options: describe(freeHash(), { description: 'Extra `docker run` options for the proxy container.' }).optional(),
  });

export type ProxyRunSection = z.output<ReturnType<typeof proxyRunSchema>>;

const customCertificate = () =>
  hash({
    certificate_pem: describe(stringish(), { description: 'Name of the secret holding the certificate (PEM).' }).optional(),
    private_key_pem: describe(stringish(), { description: 'Name of the secret holding the private key (PEM).' }).optional(),
  });

/** The settings kamal-proxy gets when Kamal deploys a role or an accessory behind it. */
export const proxySchema = () =>
  hash({
    host: describe(stringish(), {
      description: 'Host name the proxy routes to this app; several may be given separated by commas. Without a host, all requests not claimed by another app are routed here.',
      rules: ["Specify one of 'host' or 'hosts', not both"],
    }).optional(),
    hosts: describe(arrayOf(stringish()), { description: 'Host names the proxy routes to this app.' }).optional(),
    app_port: describe(integer(), { description: 'Port the app listens on inside its container.', default: 80 }).optional(),
    ssl: describe(z.union([boolean(), customCertificate()], { error: 'should be a boolean or a hash' }), {
      description:
        "`true`: let kamal-proxy obtain a Let's Encrypt certificate and serve HTTPS. A hash `{certificate_pem, private_key_pem}` names the secrets holding a custom certificate and key (Kamal 2.7): they are written to each server and given to kamal-proxy.",
      default: false,
      rules: [
        'true needs a host',
        'a role with ssl: true may have only one server',
        "roles with ssl can't share a host name",
        'certificate_pem and private_key_pem go together',
      ],
    }).optional(),
    ssl_redirect: describe(boolean(), { description: 'Redirect HTTP to HTTPS when ssl is on (kamal-proxy default: true).' }).optional(),
    forward_headers: describe(boolean(), {
      description: 'Forward X-Forwarded-For / X-Forwarded-Proto to the app (kamal-proxy default: only without ssl).',
    }).optional(),
    response_timeout: describe(integer(), { description: 'Seconds a request may take before timing out (kamal-proxy default: 30).' }).optional(),
    path_prefix: describe(stringish(), {
      description: 'Serve the app only below this path (several separated by commas), Kamal 2.7.',
    }).optional(),
    path_prefixes: describe(arrayOf(stringish()), { description: 'Paths the app is served below; used instead of `path_prefix` when both are set.' }).optional(),
    strip_path_prefix: describe(boolean(), {
      description: 'Strip the path prefix before forwarding the request (kamal-proxy default: true).',
    }).optional(),
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
    run: describe(proxyRunSchema(), {
      description: 'How the kamal-proxy container is run on the hosts of this proxy (Kamal 2.10); without it the `proxy boot_config` files decide.',
      rules: ['publish: false leaves out http_port, https_port and bind_ips', 'roles and accessories on one host need the same run settings'],
    }).optional(),
  }).superRefine(proxyRules);

export type ProxySection = z.output<ReturnType<typeof proxySchema>>;
