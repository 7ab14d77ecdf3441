// Opens a page in headless Chromium (Debian's `chromium`; test/testbed/install.sh installs it) and
// returns the DOM after its script ran, optionally saving a screenshot.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const BROWSERS = ['chromium', 'chromium-browser', 'google-chrome'];

function browser(): string {
  for (const name of BROWSERS) {
    if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return name;
  }
  throw new Error(`no headless Chromium found (${BROWSERS.join(', ')}): apt-get install -y chromium (test/testbed/install.sh installs it)`);
}

export function renderInChromium(htmlFile: string, options: { hash?: string; screenshot?: string } = {}): string {
  const url = pathToFileURL(htmlFile).href + (options.hash ?? '');
  const profile = mkdtempSync(join(tmpdir(), 'sextant-chromium-'));
  const common = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', `--user-data-dir=${profile}`, '--window-size=1400,1000', '--virtual-time-budget=3000'];
  try {
    const dom = spawnSync(browser(), [...common, '--dump-dom', url], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (dom.status !== 0 || !dom.stdout.includes('</html>')) throw new Error(`chromium --dump-dom failed (${dom.status ?? dom.signal}): ${dom.stderr.slice(-2000)}`);
    if (options.screenshot) {
      const shot = spawnSync(browser(), [...common, `--screenshot=${options.screenshot}`, url], { encoding: 'utf8', timeout: 120_000 });
      if (shot.status !== 0) throw new Error(`chromium --screenshot failed (${shot.status ?? shot.signal}): ${shot.stderr.slice(-2000)}`);
    }
    return dom.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

// The DOM facts the view tests check, read from Chromium's serialised DOM.
export function viewFacts(dom: string) {
  const attrs = (re: RegExp) => [...dom.matchAll(re)].map((m) => m[1] as string);
  return {
    lanes: attrs(/<div class="lane" data-host="([^"]+)"/g),
    stages: attrs(/<div class="bar stage[^"]*" data-stage="([^"]+)"/g),
    failedSteps: attrs(/<div class="bar step (?:rollback )?failed[^"]*" data-key="([^"]+)"/g),
    failures: attrs(/<li class="failure">([^<]+)<\/li>/g),
    // What the page's script put in the details panel (a step opened by #step=KEY, as a click does).
    details: /<div id="details" data-key="([^"]+)">([\s\S]*?)<\/div>\s*<h2>Statecharts/.exec(dom)?.slice(1) ?? [],
    visitedStates: attrs(/<div class="state [^"]*visited[^"]*" data-state="([^"]+)"/g),
  };
}
