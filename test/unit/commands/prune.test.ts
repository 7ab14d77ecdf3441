// Pruning: Kamal's commands/prune_test.rb and the recorded `prune all` lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../src/errors.ts';
import { pruneAll, pruneContainers, pruneDanglingImages, pruneImages, pruneTaggedImages } from '../../../src/commands/prune.ts';
import { render } from '../../../src/commands/shell.ts';
import { fixture } from '../../fixtures/commands/a/load.ts';

test('dangling images', () => {
  assert.is(render(pruneDanglingImages(fixture())), 'docker image prune --force --filter label=service=app');
});

test('tagged images', () => {
  assert.is(render(pruneTaggedImages(fixture())),
    `docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v -w "$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=app | tr -d '\\n')dhh/app:latest\\|dhh/app:<none>" | while read image tag; do docker rmi $tag; done`);
});

test('tagged images spare the destination latest tag', () => {
  assert.match(render(pruneTaggedImages(fixture('deploy', 'staging'))), `')dhh/app:latest-staging\\|dhh/app:<none>" |`);
});

test('app containers: tail -n +<retain + 1>, retain from the config by default', () => {
  assert.is(render(pruneContainers(fixture(), 5)),
    'docker ps -q -a --filter label=service=app --filter status=created --filter status=exited --filter status=dead | tail -n +6 | while read container_id; do docker rm $container_id; done');
  assert.is(render(pruneContainers(fixture(), 3)),
    'docker ps -q -a --filter label=service=app --filter status=created --filter status=exited --filter status=dead | tail -n +4 | while read container_id; do docker rm $container_id; done');
  assert.is(render(pruneContainers(fixture('hey'))),
    'docker ps -q -a --filter label=service=hey --filter status=created --filter status=exited --filter status=dead | tail -n +4 | while read container_id; do docker rm $container_id; done');
});

test('retain must be at least 1', () => {
  assert.throws(() => pruneContainers(fixture(), 0), (error: unknown) => error instanceof UserError && error.message === 'retain must be at least 1');
});

test('recorded prune all (s02): containers, then dangling and tagged images', () => {
  const { containers, images } = pruneAll(fixture('hey'));
  assert.equal([...containers, ...images].map((command) => render(command)), [
    'docker ps -q -a --filter label=service=hey --filter status=created --filter status=exited --filter status=dead | tail -n +4 | while read container_id; do docker rm $container_id; done',
    'docker image prune --force --filter label=service=hey',
    `docker image ls --filter label=service=hey --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v -w "$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=hey | tr -d '\\n')registry.example.com/acme/hey:latest\\|registry.example.com/acme/hey:<none>" | while read image tag; do docker rmi $tag; done`,
  ]);
  assert.equal(pruneImages(fixture('shop')).map((command) => render(command))[0], 'docker image prune --force --filter label=service=shop');
});

test.run();
