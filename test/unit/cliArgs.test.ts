import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  intOption,
  listOption,
  parseArgs,
  stringOption,
  UsageError,
} from '../../extension/cli/command';
import { matchesEmbeddedPattern } from '../../extension/kernelSources/manifest';

void describe('parseArgs', () => {
  void it('splits positionals, valued options and flags', () => {
    const args = parseArgs(['path', 'connect', '--depth', '4', '--json', '--kernel=/k']);
    assert.deepEqual(args.positionals, ['path', 'connect']);
    assert.equal(stringOption(args, 'depth'), '4');
    assert.equal(args.options.get('json'), true);
    assert.equal(stringOption(args, 'kernel'), '/k');
  });
  void it('never reads a following positional as the value of a known flag', () => {
    const args = parseArgs(['--json', 'connect']);
    assert.deepEqual(args.positionals, ['connect']);
  });
  void it('collects repeated options', () => {
    const args = parseArgs(['--set', 'backlog=1', '--set', 'clients=3']);
    assert.deepEqual(listOption(args, 'set'), ['backlog=1', 'clients=3']);
  });
  void it('rejects a depth that is not a whole number', () => {
    assert.throws(() => intOption(parseArgs(['--depth', 'x']), 'depth', 5), UsageError);
    assert.equal(intOption(parseArgs([]), 'depth', 5), 5);
  });
});

void describe('embedded file patterns', () => {
  void it('matches * within one path segment only', () => {
    assert.ok(matchesEmbeddedPattern(['net/ipv4/*.c'], 'net/ipv4/tcp.c'));
    assert.ok(!matchesEmbeddedPattern(['net/ipv4/*.c'], 'net/ipv4/netfilter/nf_nat.c'));
    assert.ok(!matchesEmbeddedPattern(['net/ipv4/*.c'], 'net/ipv4/tcp.h'));
    assert.ok(matchesEmbeddedPattern(['net/socket.c'], 'net/socket.c'));
  });
});
