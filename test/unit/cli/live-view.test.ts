// The live view is for a terminal with a size; anything else gets plain lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canShowLiveView } from '../../../src/cli/render/live-view.ts';

test('a terminal with rows and columns shows the live view', () => {
  assert.ok(canShowLiveView({ isTTY: true, columns: 120, rows: 40 }));
});

test('no terminal, or a terminal without a size (0×0 or unknown), gets plain lines', () => {
  assert.not.ok(canShowLiveView({ isTTY: false, columns: 120, rows: 40 }));
  assert.not.ok(canShowLiveView({ columns: 120, rows: 40 }));
  assert.not.ok(canShowLiveView({ isTTY: true, columns: 0, rows: 0 }));
  assert.not.ok(canShowLiveView({ isTTY: true, columns: 120, rows: 0 }));
  assert.not.ok(canShowLiveView({ isTTY: true }));
});

test.run();
