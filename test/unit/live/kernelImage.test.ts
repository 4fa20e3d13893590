// Choosing the cloud image among what apt offers, and the gdb set-up written from it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { breakpointCommand, gdbScript, substitutePaths } from '../../../extension/live/gdbScript';
import { chooseImage, parseMadison } from '../../../extension/live/kernelImage';
import { qemuArgs } from '../../../extension/live/qemu';
import { breakpointPlan } from '../../../extension/live/stops';

// `apt-cache madison` as Debian 12 answered on this machine (trimmed).
const MADISON = `linux-source-6.1 |  6.1.192-2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-source-6.1 |  6.1.176-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-source-6.1 |  6.1.170-3 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.1.0-50-cloud-amd64-unsigned |  6.1.176-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.1.0-56-cloud-amd64-unsigned |  6.1.192-2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-47-cloud-amd64-unsigned |  6.1.170-2 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.1.0-50-cloud-amd64-dbg |  6.1.176-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.1.0-56-cloud-amd64-dbg |  6.1.192-2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-47-cloud-amd64-dbg |  6.1.170-2 | http://deb.debian.org/debian bookworm/main amd64 Packages
`;
const NAMES = [
  'linux-image-6.1.0-47-cloud-amd64-unsigned',
  'linux-image-6.1.0-50-cloud-amd64-unsigned',
  'linux-image-6.1.0-56-cloud-amd64-unsigned',
];

void describe('chooseImage', () => {
  void it('prefers the given version, then the newest; needs source and symbols at the same version', () => {
    const m = parseMadison(MADISON);
    const choices = chooseImage(NAMES, m, '6.1.176-1');
    assert.deepEqual(
      choices.map((c) => [c.version, c.release]),
      [
        ['6.1.176-1', '6.1.0-50-cloud-amd64'],
        ['6.1.192-2', '6.1.0-56-cloud-amd64'],
      ],
    );
    assert.equal(choices[0]!.dbgPackage, 'linux-image-6.1.0-50-cloud-amd64-dbg');
    // 6.1.170-2 has no linux-source-6.1 of its version (only 6.1.170-3): never chosen.
    assert.ok(!choices.some((c) => c.version === '6.1.170-2'));
    assert.equal(chooseImage(NAMES, m, undefined)[0]!.version, '6.1.192-2');
  });

  void it('offers nothing without the -dbg package', () => {
    const m = parseMadison(
      MADISON.split('\n')
        .filter((l) => !l.includes('-dbg'))
        .join('\n'),
    );
    assert.deepEqual(chooseImage(NAMES, m, '6.1.176-1'), []);
  });
});

void describe('gdb set-up and QEMU command', () => {
  const setup = {
    vmlinux: '/c/vmlinux-6.1.0-50-cloud-amd64',
    sourceTree: '/t/linux-source-6.1',
    version: '6.1.176-1',
    indexCacheDir: '/c/gdb-index',
    port: 1234,
    comm: 'kl-live',
  };

  void it('maps the build paths of C and assembly onto the source tree', () => {
    assert.deepEqual(substitutePaths('6.1.176-1', '/t'), [
      ['debian/build/build_amd64_none_cloud-amd64', '/t'],
      ['/build/reproducible-path/linux-6.1.176', '/t'],
    ]);
  });

  void it('writes a script that attaches on 127.0.0.1 and filters syscalls by task', () => {
    const script = gdbScript(setup).split('\n');
    assert.ok(script.includes('target remote 127.0.0.1:1234'));
    assert.ok(script.includes('set index-cache enabled on'));
    assert.ok(script.includes('file /c/vmlinux-6.1.0-50-cloud-amd64'));
    assert.ok(script.some((l) => /^break __sys_connect if \$_streq\(.*"kl-live"\)$/.test(l)));
    assert.ok(script.includes('break *tcp_v4_conn_request'));
    const plan = breakpointPlan();
    assert.equal(script.filter((l) => l.startsWith('break ')).length, plan.length);
    assert.equal(breakpointCommand(plan[5]!, 'kl-live'), 'break tcp_v4_connect');
  });

  void it('boots halted, without a network card, with the stub on 127.0.0.1 only', () => {
    const args = qemuArgs({
      vmlinuz: '/c/vmlinuz',
      initrd: '/c/i.cpio',
      mode: 'refused',
      port: 4321,
      serialLog: '/tmp/s.log',
    });
    const joined = args.join(' ');
    assert.ok(args.includes('-S'));
    assert.match(joined, /-gdb tcp:127\.0\.0\.1:4321/);
    assert.ok(!args.includes('-s'));
    assert.match(joined, /-nic none/);
    assert.match(joined, /nokaslr/);
    assert.match(joined, /kl_live=refused/);
  });
});
