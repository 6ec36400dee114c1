// An HL7 engine built on node-hl7-client (an independent HL7 v2 / MLLP
// implementation) talking to one Ward simulated unit's feed over MLLP with
// mutual TLS. Run by pkg/sim TestNpmHL7PeerOverMLLP; prints one JSON line
// per message received, in order, and exits.
//
// env: FEED_HOST FEED_PORT CA CERT KEY (PEM files), MODE (pump|monitor),
// ORDER_ID, BAD_RATE
import fs from 'node:fs';
import { Client, Message } from 'node-hl7-client';

const env = process.env;
const received = [];

function finish(code) {
  for (const r of received) console.log(JSON.stringify(r));
  process.exit(code);
}
setTimeout(() => {
  console.error(`timed out after ${received.length} messages`);
  finish(2);
}, 20000).unref();

function header(type, event, structure, control, delims) {
  return new Message({
    ...delims,
    messageHeader: { msh_9_1: type, msh_9_2: event, msh_9_3: structure, msh_10: control, msh_11_1: 'P' },
  });
}

function order(control, orderId, rate, delims = {}) {
  const m = header('RGV', 'O15', 'RGV_O15', control, delims);
  m.set('MSH.3', 'NPM-ENGINE');
  m.addSegment('PID');
  m.set('PID.3.1', 'MRN-1');
  m.addSegment('ORC');
  m.set('ORC.1', 'NW');
  m.set('ORC.2', orderId);
  m.addSegment('RXG');
  m.set('RXG.1', '1');
  m.set('RXG.4.2', 'saline 0.9%');
  m.set('RXG.5', '500');
  m.set('RXG.15', rate);
  m.set('RXG.16', 'mL/h');
  return m;
}

function summary(m) {
  const s = (p) => m.get(p).toString();
  const out = { raw: m.toString(), type: s('MSH.9.1') + '^' + s('MSH.9.2'), control: s('MSH.10'),
    msa1: s('MSA.1'), msa2: s('MSA.2'), err8: s('ERR.8') };
  if (out.type === 'ORU^R01') {
    out.patient = s('PID.3.1');
    out.obx = [];
    m.get('OBX').forEach((seg) => {
      const f = (p) => seg.get(p).toString();
      out.obx.push({ code: f('.3.1'), text: f('.3.2'), system: f('.3.3'), value: f('.5'), units: f('.6') });
    });
  }
  return out;
}

// What to send, and how many messages to expect back. In pump mode: an
// order whose id needs every escape; an acknowledgement, which must get no
// answer; an order with a bad rate full of delimiters (the refusal quotes
// it back); an order in non-default delimiters. In monitor mode the unit
// sends its ORU^R01 first; then an order, which it refuses.
// Original-mode HL7: one message in flight; the next goes when the answer
// came (node-hl7-client loses answers that arrive together). An
// acknowledgement expects no answer: the next message follows 1 s later,
// so an answer to it, if the unit sent one, would arrive first.
const plan = env.MODE === 'monitor'
  ? { expect: 2, send: [{ m: order('N1', 'ORD-1', '10') }] }
  : { expect: 3, send: [
      { m: order('N1', env.ORDER_ID, '20') },
      { m: header('ACK', 'O16', 'ACK', 'N2', {}), noAnswer: true },
      { m: order('N3', 'ORD-3', env.BAD_RATE) },
      { m: order('N4', 'ORD-4', '33', { separatorField: '#', separatorComponent: '@', separatorRepetition: '*',
        separatorEscape: '$', separatorSubComponent: '%' }) },
    ] };
let next = 0;
async function sendNext() {
  while (next < plan.send.length) {
    const { m, noAnswer } = plan.send[next++];
    await conn.sendMessage(m);
    if (!noAnswer) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const client = new Client({
  host: env.FEED_HOST,
  maxConnectionAttempts: 1,
  tls: { ca: fs.readFileSync(env.CA), cert: fs.readFileSync(env.CERT), key: fs.readFileSync(env.KEY), minVersion: 'TLSv1.2' },
});
// waitAck off: an acknowledgement gets no answer, and with waitAck the
// library would hold every later message for it (and reconnect).
const conn = client.createConnection({ port: Number(env.FEED_PORT), waitAck: false }, async (res) => {
  try {
    received.push(summary(res.getMessage()));
  } catch (e) {
    console.error('parsing a received message:', e.message);
    finish(3);
  }
  if (received.length >= plan.expect) finish(0);
  // The monitor's ORU^R01 is not an answer to anything we sent.
  if (received.at(-1).type !== 'ORU^R01') await sendNext();
});
conn.on('error', (e) => { console.error('connection:', e.message); finish(4); });
conn.once('connect', () => sendNext());
