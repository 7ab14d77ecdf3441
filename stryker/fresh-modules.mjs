// Module loader hooks for stryker/uvu-runner.mjs (registered in the test runner worker). A module
// imported with `?stryker-gen=N` passes that query on to the project files it imports, so
// importing a test file with a new N loads the code under test anew, in the same process: what a
// static mutant changes (code that runs while a module loads) takes effect without a new worker.
// Files under node_modules keep their one instance (uvu's test queue, zod, ...).
const GENERATION = /[?&](stryker-gen=\d+)/;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const generation = context.parentURL && GENERATION.exec(context.parentURL);
  if (!generation || !resolved.url.startsWith('file:') || resolved.url.includes('/node_modules/') || resolved.url.includes('?')) return resolved;
  return { ...resolved, url: `${resolved.url}?${generation[1]}` };
}
