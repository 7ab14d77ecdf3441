// Pruning old app containers and images (Kamal's commands/prune.rb). Both ignore destination and
// role: they act on every container and image labelled with the service.

import type { Config } from '../config/types.ts';
import { UserError } from '../errors.ts';
import { argv, docker, dquote, pipe, raw, script, subst, type Command } from './command.ts';

function serviceFilter(config: Config): string[] {
  return ['--filter', `label=service=${config.service}`];
}

/** `docker image prune --force --filter label=service=<service>` */
export function pruneDanglingImages(config: Config): Command {
  return docker('image', 'prune', '--force', ...serviceFilter(config));
}

/**
 * Removes the service's tagged images that no container uses, sparing `<repo>:latest[-<dest>]` and
 * `<repo>:<none>`: `docker image ls … | grep -v -w "$(…)<latest>\|<repo>:<none>" | while read image tag; do docker rmi $tag; done`
 */
export function pruneTaggedImages(config: Config): Command {
  const usedImages = pipe(
    docker('container', 'ls', '-a', '--format', raw("'{{.Image}}\\|'"), ...serviceFilter(config)),
    argv('tr', '-d', raw("'\\n'")),
  );
  const activeImages = dquote(subst(usedImages), `${config.repository}:${config.latestTag}`, raw('\\|'), `${config.repository}:<none>`);
  return pipe(
    docker('image', 'ls', ...serviceFilter(config), '--format', raw("'{{.ID}} {{.Repository}}:{{.Tag}}'")),
    argv('grep', '-v', '-w', activeImages),
    script('while read image tag; do docker rmi $tag; done'),
  );
}

/** `kamal prune images`: the dangling images, then the unused tagged ones. */
export function pruneImages(config: Config): Command[] {
  return [pruneDanglingImages(config), pruneTaggedImages(config)];
}

/**
 * `kamal prune containers`: removes stopped containers of the service, newest `retain` kept:
 * `docker ps -q -a … | tail -n +<retain+1> | while read container_id; do docker rm $container_id; done`
 */
export function pruneContainers(config: Config, retain: number = config.retainContainers): Command {
  if (!Number.isInteger(retain) || retain < 1) throw new UserError('retain must be at least 1');
  const stopped = ['created', 'exited', 'dead'].flatMap((status) => ['--filter', `status=${status}`]);
  return pipe(
    docker('ps', '-q', '-a', ...serviceFilter(config), ...stopped),
    argv('tail', '-n', `+${retain + 1}`),
    script('while read container_id; do docker rm $container_id; done'),
  );
}

/** `kamal prune all`: containers first, then images (each run after its audit line). */
export function pruneAll(config: Config, retain: number = config.retainContainers): { containers: Command[]; images: Command[] } {
  return { containers: [pruneContainers(config, retain)], images: pruneImages(config) };
}
