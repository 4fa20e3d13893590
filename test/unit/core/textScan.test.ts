import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanText } from '../../../extension/core/textScan';

void describe('scanText', () => {
  void it('names definitions, syscalls, structs, initializer types and field sets', () => {
    const keys = scanText(
      [
        'static int',
        'tcp_v4_connect(struct sock *sk)',
        '{',
        '\tsk->sk_data_ready = sock_def_readable;',
        '\tif (a == b) x.y = 1;',
        '}',
        'SYSCALL_DEFINE3(connect, int, fd, struct sockaddr __user *, uservaddr, int, addrlen)',
        'struct proto tcp_prot = {',
        '\t.connect\t\t= tcp_v4_connect,',
        '};',
        'static struct tcp_congestion_ops cubictcp __read_mostly = {',
        'struct sock {',
        '#define sk_prot __sk_common.skc_prot',
        '#define REG_X 0x10',
        '\tnet_hotdata.tcp_protocol = (struct net_protocol) {',
      ].join('\n'),
    );
    assert.ok(keys.defs.includes('tcp_v4_connect'));
    assert.ok(keys.defs.includes('tcp_prot'));
    assert.ok(keys.defs.includes('cubictcp'), 'annotations after the name are skipped');
    assert.ok(keys.defs.includes('sk_prot'));
    assert.ok(!keys.defs.includes('REG_X'), 'register numbers are not indexed');
    assert.deepEqual(keys.syscalls, ['connect']);
    assert.ok(keys.structs.includes('sock'));
    assert.deepEqual(new Set(keys.inits), new Set(['proto', 'tcp_congestion_ops', 'net_protocol']));
    assert.deepEqual(new Set(keys.sets), new Set(['sk_data_ready', 'connect']));
  });
});
