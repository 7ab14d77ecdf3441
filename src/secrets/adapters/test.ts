// Kamal's `test` adapter: each (prefixed) name maps to itself reversed. Needs `--account`.
import { reverseString } from '../ruby.ts';
import type { SecretsAdapter } from './base.ts';
import { prefixedSecrets } from './base.ts';

export const testAdapter: SecretsAdapter<void> = {
  requiresAccount: true,
  async checkDependencies() {},
  async login() {},
  async fetchSecrets(secrets, { from }) {
    return new Map(prefixedSecrets(secrets, from).map((name) => [name, reverseString(name)]));
  },
};
