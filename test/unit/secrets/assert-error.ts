import * as assert from 'uvu/assert';
import { UserError } from '../../../src/errors.ts';

/** Awaits `run`, which must fail with a UserError whose message equals (or matches) `expected`. */
export async function rejectsWithUserError(run: () => Promise<unknown>, expected: string | RegExp): Promise<UserError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof UserError)) {
    assert.unreachable(`expected a UserError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
    throw new Error('unreachable');
  }
  if (typeof expected === 'string') assert.is(caught.message, expected);
  else assert.match(caught.message, expected);
  return caught;
}
