// The okx-api Node SDK, unchanged but for its base URLs, through the RFQ lifecycle against a real openrfq venue.
//
//   node walkthrough.mjs [--skip STEP]...
//
// Environment (defaults: `openrfq serve` with its demo accounts):
//   OPENRFQ_URL     REST base URL                     http://127.0.0.1:8080
//   OPENRFQ_WS_URL  the business WebSocket            ws://127.0.0.1:8080/ws/v5/business
//   OPENRFQ_TAKER   taker's "api_key secret passphrase"   (demo TAKER1)
//   OPENRFQ_MAKER   maker's "api_key secret passphrase"   (demo MAKER1; its trader code MAKER1)
// Over TLS (`openrfq serve --tls`), Node trusts the venue's local CA with NODE_EXTRA_CA_CERTS=openrfq-data/tls/ca.pem.
//
// Every step checks exact codes and fields; the first mismatch prints "FAIL <step>: ..." on stderr and exits 1.
// Each passed step prints "ok <step>"; the last line is "RESULT <json>" with what the venue answered, for the
// pytest driver (tests/clients/test_node_sdk.py) to check from its side.

import { isDeepStrictEqual } from 'node:util';
import { RestClient, WebsocketClient } from 'okx-api';

const URL = process.env.OPENRFQ_URL ?? 'http://127.0.0.1:8080';
const WS_URL = process.env.OPENRFQ_WS_URL ?? 'ws://127.0.0.1:8080/ws/v5/business';
const TAKER = credentials(process.env.OPENRFQ_TAKER ?? 'demo-taker1-key DEMO-TAKER1-SECRET Demo-taker1-pass');
const MAKER = credentials(process.env.OPENRFQ_MAKER ?? 'demo-maker1-key DEMO-MAKER1-SECRET Demo-maker1-pass');
const MAKER_CODE = 'MAKER1';
const TAKER_CODE = 'TAKER1';
const SKIP = new Set(process.argv.flatMap((arg, i) => (process.argv[i - 1] === '--skip' ? [arg] : [])));
const TAG = '159881cb7207BCDE'; // okx-api adds {tag: this} to every private POST body (util/requestUtils.js)
const INST = 'BTC-USDT';
const SZ = '0.5';
const PX1 = '50010';
const PX2 = '50020';
const TIMEOUT_MS = 10_000;

function credentials(text) {
  const [apiKey, apiSecret, apiPass] = text.split(' ');
  return { apiKey, apiSecret, apiPass };
}

class Mismatch extends Error {}

let step = 'start';
const result = { steps: [] };

function check(condition, message) {
  if (!condition) throw new Mismatch(message);
}

const show = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

function same(actual, expected, what) {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Mismatch(`${what}:\n  expected ${show(expected)}\n  got      ${show(actual)}`);
  }
}

function one(data, what) {
  check(Array.isArray(data) && data.length === 1, `${what}: expected one item, got ${show(data)}`);
  return data[0];
}

async function run(name, body) {
  if (SKIP.has(name)) {
    console.log(`skip ${name}`);
    return undefined;
  }
  step = name;
  const value = await body();
  result.steps.push(name);
  console.log(`ok ${name}`);
  return value;
}

// okx-api resolves a call with the envelope's `data` when code is "0" and rejects with the whole body otherwise.
async function refused(call) {
  try {
    const data = await call;
    throw new Mismatch(`expected a refusal, got data ${show(data)}`);
  } catch (e) {
    if (e instanceof Mismatch) throw e;
    return e;
  }
}

// Decimal strings compared exactly (scaled to integers), never as floats.
function scaled(text, places = 12) {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(places, '0').slice(0, places));
}

/** Everything a WebsocketClient emitted, and a way to wait for the event a step expects. */
class Inbox {
  constructor(client, name) {
    this.name = name;
    this.events = [];
    this.waiters = [];
    for (const kind of ['update', 'response', 'authenticated', 'exception']) {
      client.on(kind, (event) => this.push({ kind, ...event }));
    }
    client.on('reconnect', () => this.push({ kind: 'reconnect' }));
  }

  push(event) {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => !w());
  }

  /** The first event (past or future) that matches, after `after` events. */
  until(predicate, what, after = 0) {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = this.events.slice(after).find(predicate);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
        return !!found;
      };
      const timer = setTimeout(() => {
        reject(new Mismatch(`${this.name}: no ${what} within ${TIMEOUT_MS} ms; received ${show(this.events)}`));
      }, TIMEOUT_MS);
      if (!look()) this.waiters.push(look);
    });
  }

  pushes(channel, predicate = () => true) {
    return this.events.filter((e) => e.kind === 'update' && e.arg?.channel === channel && predicate(e));
  }

  pushOf(channel, predicate, what) {
    return this.until((e) => e.kind === 'update' && e.arg?.channel === channel && e.data?.some(predicate), what);
  }
}

// The SDK's own logger prints every connect and close at info: keep errors only, on stderr.
const logger = { trace: () => {}, info: () => {}, error: (...args) => console.error('okx-api:', ...args) };

const taker = new RestClient({ ...TAKER, baseUrl: URL });
const maker = new RestClient({ ...MAKER, baseUrl: URL });
const anyone = new RestClient({ baseUrl: URL });

// wsUrl replaces every OKX WebSocket URL (public, private, business) with the venue's one business endpoint.
const makerWs = new WebsocketClient({ wsUrl: WS_URL, accounts: [MAKER] }, logger);
const takerWs = new WebsocketClient({ wsUrl: WS_URL, accounts: [TAKER] }, logger);
const publicWs = new WebsocketClient({ wsUrl: WS_URL }, logger);
const makerInbox = new Inbox(makerWs, 'maker WebSocket');
const takerInbox = new Inbox(takerWs, 'taker WebSocket');
const publicInbox = new Inbox(publicWs, 'public WebSocket');

async function main() {
  await run('counterparties', async () => {
    const parties = await taker.getBlockCounterParties();
    const them = parties.find((p) => p.traderCode === MAKER_CODE);
    check(them !== undefined, `${MAKER_CODE} not among ${show(parties)}`);
    same(Object.keys(them).sort(), ['traderCode', 'traderName', 'type'], 'counterparty fields');
    same(them.type, 'LP', `${MAKER_CODE}'s type`);
  });

  await run('websocket-login-and-subscribe', async () => {
    // okx-api knows rfqs/quotes as no channel of its own: `true` marks them private, so the client logs in
    // (op "login", signed over GET/users/self/verify) on connect and subscribes once the login succeeds.
    makerWs.subscribe([{ channel: 'rfqs' }, { channel: 'quotes' }], true);
    takerWs.subscribe([{ channel: 'quotes' }], true);
    publicWs.subscribe([{ channel: 'public-struc-block-trades' }]);
    for (const inbox of [makerInbox, takerInbox]) {
      const login = await inbox.until((e) => e.kind === 'authenticated', 'login answer');
      same([login.event, login.code, login.msg], ['login', '0', ''], `${inbox.name} login`);
    }
    for (const [inbox, channels] of [
      [makerInbox, ['rfqs', 'quotes']],
      [takerInbox, ['quotes']],
      [publicInbox, ['public-struc-block-trades']],
    ]) {
      for (const channel of channels) {
        const answer = await inbox.until((e) => e.event === 'subscribe' && e.arg?.channel === channel, `${channel} subscribe`);
        same(answer.arg, { channel }, `${inbox.name} subscribe answer`);
      }
    }
    check(!makerInbox.events.some((e) => e.kind === 'exception'), `maker WebSocket errors: ${show(makerInbox.events)}`);
  });

  const tickerBefore = await run('block-ticker-before', async () => one(await anyone.getBlockTicker({ instId: INST }), 'block ticker'));

  const rfq = await run('create-rfq', async () => {
    const legs = [{ instId: INST, sz: SZ, side: 'buy' }];
    const made = one(await taker.createBlockRFQ({ counterparties: [MAKER_CODE], clRfqId: 'nodeRfq1', legs }), 'create-rfq data');
    check(/^[1-9][0-9]*$/.test(made.rfqId), `rfqId ${made.rfqId} is not an id`);
    same(
      [made.state, made.clRfqId, made.tag, made.traderCode, made.counterparties, made.allowPartialExecution],
      ['active', 'nodeRfq1', TAG, TAKER_CODE, [MAKER_CODE], false],
      'create-rfq state, clRfqId, tag, traderCode, counterparties, allowPartialExecution',
    );
    same(made.legs.map((l) => [l.instId, l.sz, l.side, l.tdMode]), [[INST, SZ, 'buy', 'cash']], 'create-rfq legs');
    result.rfqId = made.rfqId;
    return made;
  });

  await run('websocket-rfq-push', async () => {
    const push = await makerInbox.pushOf('rfqs', (r) => r.rfqId === rfq.rfqId, `rfqs push of RFQ ${rfq.rfqId}`);
    const seen = push.data.find((r) => r.rfqId === rfq.rfqId);
    check(typeof push.arg.uid === 'string' && push.arg.uid !== '', `rfqs push arg without uid: ${show(push.arg)}`);
    // The maker never sees the taker's clRfqId.
    same([seen.state, seen.clRfqId, seen.traderCode, seen.tag], ['active', '', TAKER_CODE, TAG], 'pushed RFQ state, clRfqId, traderCode, tag');
    result.rfqPushUid = push.arg.uid;
  });

  const legsAt = (px) => [{ instId: INST, sz: SZ, side: 'buy', px }];

  const first = await run('create-quote', async () => {
    const made = one(
      await maker.createBlockQuote({ rfqId: rfq.rfqId, clQuoteId: 'nodeQ1', quoteSide: 'sell', legs: legsAt(PX1) }),
      'create-quote data',
    );
    same(
      [made.state, made.rfqId, made.clQuoteId, made.quoteSide, made.traderCode, made.tag],
      ['active', rfq.rfqId, 'nodeQ1', 'sell', MAKER_CODE, TAG],
      'create-quote state, rfqId, clQuoteId, quoteSide, traderCode, tag',
    );
    same(made.legs.map((l) => [l.instId, l.sz, l.side, l.px]), [[INST, SZ, 'buy', PX1]], 'create-quote legs');
    result.firstQuoteId = made.quoteId;
    return made;
  });

  await run('cancel-quote-by-clQuoteId', async () => {
    const canceled = await maker.cancelBlockQuote({ clQuoteId: 'nodeQ1' });
    same(canceled, [{ quoteId: first.quoteId, clQuoteId: 'nodeQ1', sCode: '0', sMsg: '' }], 'cancel-quote data');
  });

  await run('cancel-quote-again-70400', async () => {
    const body = await refused(maker.cancelBlockQuote({ clQuoteId: 'nodeQ1' }));
    same(
      body,
      {
        code: '1',
        msg: 'Operation failed.',
        data: [
          {
            quoteId: '', // a failed item echoes the ids as the request sent them (docs/compatibility.md)
            clQuoteId: 'nodeQ1',
            sCode: '70400',
            sMsg: 'The Quote with canceled status cannot be canceled',
          },
        ],
      },
      'second cancel-quote',
    );
    result.secondCancel = body;
  });

  const second = await run('replace-quote', async () => {
    const made = one(
      await maker.createBlockQuote({ rfqId: rfq.rfqId, clQuoteId: 'nodeQ2', quoteSide: 'sell', legs: legsAt(PX2) }),
      'create-quote data',
    );
    check(BigInt(made.quoteId) > BigInt(first.quoteId), `new quoteId ${made.quoteId} not after ${first.quoteId}`);
    same([made.state, made.rfqId, made.clQuoteId, made.legs[0].px], ['active', rfq.rfqId, 'nodeQ2', PX2], 'replacing quote');
    result.secondQuoteId = made.quoteId;
    return made;
  });

  await run('websocket-quote-pushes', async () => {
    await makerInbox.pushOf('quotes', (q) => q.quoteId === second.quoteId && q.state === 'active', 'the replacing quote');
    const states = makerInbox
      .pushes('quotes')
      .flatMap((e) => e.data)
      .filter((q) => q.rfqId === rfq.rfqId)
      .map((q) => [q.quoteId, q.clQuoteId, q.state]);
    same(
      states,
      [
        [first.quoteId, 'nodeQ1', 'active'],
        [first.quoteId, 'nodeQ1', 'canceled'],
        [second.quoteId, 'nodeQ2', 'active'],
      ],
      "the maker's quotes pushes, in order",
    );
    // The taker sees the quotes on its RFQ, never the maker's clQuoteId.
    const push = await takerInbox.pushOf('quotes', (q) => q.quoteId === second.quoteId, 'the quote on its RFQ');
    const seen = push.data.find((q) => q.quoteId === second.quoteId);
    same([seen.state, seen.clQuoteId, seen.traderCode], ['active', '', MAKER_CODE], "the taker's quotes push");
  });

  await run('taker-get-quotes', async () => {
    const quotes = await taker.getBlockQuotes({ rfqId: rfq.rfqId });
    same(
      quotes.map((q) => [q.quoteId, q.clQuoteId, q.state]).sort(),
      [
        [first.quoteId, '', 'canceled'],
        [second.quoteId, '', 'active'],
      ].sort(),
      "the taker's view of the quotes",
    );
  });

  const trade = await run('execute-quote', async () => {
    const done = one(await taker.executeBlockQuote({ rfqId: rfq.rfqId, quoteId: second.quoteId }), 'execute-quote data');
    check(/^[1-9][0-9]*$/.test(done.blockTdId), `blockTdId ${done.blockTdId} is not an id`);
    same(
      [done.rfqId, done.clRfqId, done.quoteId, done.clQuoteId, done.tTraderCode, done.mTraderCode],
      [rfq.rfqId, 'nodeRfq1', second.quoteId, '', TAKER_CODE, MAKER_CODE],
      'execute-quote ids and trader codes',
    );
    same(done.legs.map((l) => [l.instId, l.px, l.sz, l.side]), [[INST, PX2, SZ, 'buy']], 'execute-quote legs');
    result.blockTdId = done.blockTdId;
    result.tradeId = done.legs[0].tradeId;
    return done;
  });

  await run('get-trades', async () => {
    const mine = one(await taker.getBlockTrades({ rfqId: rfq.rfqId }), "the taker's trades of the RFQ");
    same(
      [mine.blockTdId, mine.quoteId, mine.clRfqId, mine.clQuoteId, mine.isSuccessful, mine.errorCode],
      [trade.blockTdId, second.quoteId, 'nodeRfq1', '', true, ''],
      "the taker's trade",
    );
    same(mine.legs.map((l) => [l.instId, l.px, l.sz, l.side, l.tradeId]), [[INST, PX2, SZ, 'buy', result.tradeId]], 'trade legs');
    const theirs = one(await maker.getBlockTrades({ blockTdId: trade.blockTdId }), "the maker's trade");
    same([theirs.clRfqId, theirs.clQuoteId], ['', 'nodeQ2'], "the maker's trade clRfqId, clQuoteId");
  });

  await run('websocket-trade-pushes', async () => {
    await makerInbox.pushOf('quotes', (q) => q.quoteId === second.quoteId && q.state === 'filled', 'the filled quote');
    await makerInbox.pushOf('rfqs', (r) => r.rfqId === rfq.rfqId && r.state === 'filled', 'the filled RFQ');
    const push = await publicInbox.pushOf('public-struc-block-trades', (t) => t.blockTdId === trade.blockTdId, 'the public trade');
    const seen = push.data.find((t) => t.blockTdId === trade.blockTdId);
    same(seen.legs.map((l) => [l.instId, l.px, l.sz, l.side]), [[INST, PX2, SZ, 'buy']], 'public-struc-block-trades legs');
  });

  await run('block-tickers', async () => {
    const tickers = await anyone.getBlockTickers({ instType: 'SPOT' });
    const ticker = tickers.find((t) => t.instId === INST);
    check(ticker !== undefined, `no ${INST} among ${show(tickers)}`);
    same(ticker.instType, 'SPOT', 'ticker instType');
    const after = one(await anyone.getBlockTicker({ instId: INST }), 'block ticker');
    same([after.vol24h, after.volCcy24h], [ticker.vol24h, ticker.volCcy24h], 'block-ticker against block-tickers');
    if (tickerBefore) {
      same(scaled(after.vol24h) - scaled(tickerBefore.vol24h), scaled(SZ), "vol24h's growth by the trade");
      same(scaled(after.volCcy24h) - scaled(tickerBefore.volCcy24h), scaled('25010'), "volCcy24h's growth (0.5 x 50020)");
    }
    result.ticker = after;
  });

  await run('rfq-public-trades', async () => {
    // getPublicRFQBlockTrades(): GET /api/v5/rfq/public-trades
    const trades = await anyone.getPublicRFQBlockTrades();
    const seen = trades.find((t) => t.blockTdId === trade.blockTdId);
    check(seen !== undefined, `block trade ${trade.blockTdId} not among ${show(trades)}`);
    same(seen.legs.map((l) => [l.instId, l.px, l.sz, l.side, l.tradeId]), [[INST, PX2, SZ, 'buy', result.tradeId]], 'public trade legs');
  });

  await run('public-block-trades', async () => {
    // getBlockPublicTrades(): GET /api/v5/public/block-trades
    const trades = await anyone.getBlockPublicTrades({ instId: INST });
    const seen = trades.find((t) => t.tradeId === result.tradeId);
    check(seen !== undefined, `tradeId ${result.tradeId} not among ${show(trades)}`);
    same([seen.instId, seen.px, seen.sz, seen.side], [INST, PX2, SZ, 'buy'], 'public block trade');
  });

  await run('market-block-trades', async () => {
    // getPublicBlockTrades(): GET /api/v5/market/block-trades, OKX's earlier path of the public block trades
    const trades = await anyone.getPublicBlockTrades({ instId: INST });
    const seen = trades.find((t) => t.tradeId === result.tradeId);
    check(seen !== undefined, `tradeId ${result.tradeId} not among ${show(trades)}`);
    same([seen.instId, seen.px, seen.sz, seen.side], [INST, PX2, SZ, 'buy'], 'market block trade');
  });

  for (const inbox of [makerInbox, takerInbox, publicInbox]) {
    const bad = inbox.events.filter((e) => e.kind === 'exception' || e.kind === 'reconnect');
    check(bad.length === 0, `${inbox.name}: ${show(bad)}`);
  }
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  // okx-api rejects with the venue's {code,msg,data} body when code is not "0", with an Error otherwise.
  const why =
    e instanceof Mismatch ? e.message : e instanceof Error ? `unexpected ${e.stack}` : `the venue answered ${show(e)}`;
  console.error(`FAIL ${step}: ${why}`);
} finally {
  for (const client of [makerWs, takerWs, publicWs]) client.closeAll(true);
}
if (!failed) console.log(`RESULT ${show(result)}`);
process.exit(failed ? 1 : 0);
