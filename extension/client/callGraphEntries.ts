/**
 * The entries the call-graph view offers: the five syscalls and the TCP handshake's packet
 * paths. Data, not code: each names the function the graph starts from, the depth asked of
 * the language server, and the functions its path of interest passes through, which the view
 * opens on arrival. Names only, never lines: the server finds them in whichever tree is open
 * (checked on the embedded Linux 6.1 sources by test/kernel/callGraphEntries.test.ts).
 * No vscode import, so tests read it too; the labels are localized in callGraphPanel.ts.
 */

export interface EntryData {
  readonly id: EntryId;
  /** The function or syscall the graph starts from, e.g. "connect", "tcp_v4_rcv". */
  readonly entry: string;
  /** Depth asked of the server. */
  readonly depth: number;
  /** Functions the path of interest passes through, in order, after the entry. */
  readonly path: readonly string[];
}

export type EntryId =
  | 'socket'
  | 'bind'
  | 'listen'
  | 'accept'
  | 'connect'
  | 'syn-out'
  | 'syn-in'
  | 'synack-in'
  | 'ack-in'
  | 'accept-dequeue';

export const ENTRY_DATA: readonly EntryData[] = [
  {
    id: 'socket',
    entry: 'socket',
    depth: 6,
    path: ['__sock_create', 'inet_create', 'tcp_v4_init_sock'],
  },
  {
    id: 'bind',
    entry: 'bind',
    depth: 5,
    path: ['inet_bind', '__inet_bind', 'inet_csk_get_port'],
  },
  {
    id: 'listen',
    entry: 'listen',
    depth: 5,
    path: ['inet_listen', 'inet_csk_listen_start', 'inet_hash'],
  },
  {
    id: 'accept',
    entry: 'accept',
    depth: 7,
    path: ['do_accept', 'inet_accept', 'inet_csk_accept', 'reqsk_queue_remove'],
  },
  {
    id: 'connect',
    entry: 'connect',
    depth: 6,
    path: ['__sys_connect_file', 'inet_stream_connect', '__inet_stream_connect', 'tcp_v4_connect'],
  },
  {
    id: 'syn-out',
    entry: 'tcp_v4_connect',
    depth: 4,
    path: ['tcp_connect', 'tcp_transmit_skb', '__tcp_transmit_skb'],
  },
  {
    id: 'syn-in',
    entry: 'tcp_v4_rcv',
    depth: 5,
    path: ['tcp_v4_do_rcv', 'tcp_rcv_state_process', 'tcp_v4_conn_request', 'tcp_conn_request'],
  },
  {
    id: 'synack-in',
    entry: 'tcp_v4_rcv',
    depth: 5,
    path: [
      'tcp_v4_do_rcv',
      'tcp_rcv_state_process',
      'tcp_rcv_synsent_state_process',
      'tcp_finish_connect',
    ],
  },
  {
    id: 'ack-in',
    entry: 'tcp_v4_rcv',
    depth: 5,
    path: [
      'tcp_check_req',
      'tcp_v4_syn_recv_sock',
      'inet_csk_complete_hashdance',
      'inet_csk_reqsk_queue_add',
    ],
  },
  {
    id: 'accept-dequeue',
    entry: 'inet_csk_accept',
    depth: 3,
    path: ['reqsk_queue_remove'],
  },
];
