// Loads every decoder so it registers into its parent's table. Adding a protocol is adding a
// file and a line here.
import './ethernet.js';
import './sll.js';
import './raw.js';
import './shims.js';
import './ipv4.js';
import './ipv6.js';
import './tcp.js';
import './icmp.js';
export { LINK_TYPES, ETHERTYPES } from './tables.js';
export { IP_PROTOS } from './l4.js';
