import { z } from 'zod';
import { arrayOf, boolean, describe, hash, scalarHash, stringish } from './common.ts';

const CACHE_TYPES = ['gha', 'registry'];

const arch = () =>
  z
    .union([stringish(), z.array(stringish())], { error: 'should be an array or a string' })
    .transform((value) => (Array.isArray(value) ? value : [value]));

const builderShape = {
  arch: describe(arch(), {
    description: 'Architectures to build for: `amd64`, `arm64`, or a list of them.',
    rules: ['required'],
  }).optional(),
  remote: describe(stringish(), {
    description: 'Docker host of a remote builder (e.g. `ssh://docker@builder`), used for architectures the local machine does not have.',
  }).optional(),
  local: describe(boolean(), {
    description: 'Build locally when the architecture matches; `false` always uses the remote builder.',
    default: true,
    rules: ['false needs remote'],
  }).optional(),
  driver: describe(stringish(), {
    description: 'buildx driver. `docker` uses the plain docker builder; `cloud org/name` uses Docker Build Cloud.',
    default: 'docker-container',
  }).optional(),
  cache: describe(
    hash({
      type: describe(stringish(), { description: 'Cache backend.', rules: ['gha or registry'] }).optional(),
      options: describe(stringish(), { description: 'Extra cache-to options, e.g. `mode=max`.' }).optional(),
      image: describe(stringish(), { description: 'Registry cache image (default `<image>-build-cache`).' }).optional(),
    }),
    { description: 'Build cache settings.' },
  ).optional(),
  args: describe(scalarHash(), { description: 'Build arguments (`--build-arg KEY="value"`).' }).optional(),
  secrets: describe(arrayOf(stringish()), {
    description: 'Secrets (from .kamal/secrets) exposed to the build as `--secret id=NAME`.',
  }).optional(),
  dockerfile: describe(stringish(), { description: 'Dockerfile to build.', default: 'Dockerfile' }).optional(),
  target: describe(stringish(), { description: 'Build stage to target.' }).optional(),
  context: describe(stringish(), {
    description: 'Build context. Unset: a clean git clone of HEAD; `.` builds the working tree.',
  }).optional(),
  ssh: describe(stringish(), { description: 'SSH agent socket or keys exposed to the build (`--ssh`).' }).optional(),
  provenance: describe(stringish(), { description: 'Provenance attestation setting (`--provenance`).' }).optional(),
  sbom: describe(boolean(), { description: 'Generate an SBOM attestation (`--sbom`).' }).optional(),
};

/** `builder:` — how the image is built. */
export const builderSchema = () =>
  hash(builderShape).superRefine((value, ctx) => {
    const type = value.cache?.type;
    if (type !== undefined && !CACHE_TYPES.includes(type)) {
      ctx.addIssue({ code: 'custom', message: `Invalid cache type: ${type}` });
    }
    if (value.arch === undefined || value.arch.length === 0 || value.arch.every((a) => a === '')) {
      ctx.addIssue({ code: 'custom', message: 'Builder arch not set' });
    }
    if (value.local === false && (value.remote === undefined || value.remote.trim() === '')) {
      ctx.addIssue({ code: 'custom', message: 'Cannot disable local builds, no remote is set' });
    }
  });

export type BuilderSection = z.output<ReturnType<typeof builderSchema>>;
